import EdgeCore
import Shared
import Testing

@Suite struct CachePolicyTests {
    let tenant = TenantID("alpine")!

    /// GET and HEAD share one key in the tenant's namespace.
    @Test func getAndHeadShareKey() {
        let get = CachePolicy.classify(tenant: tenant, method: "GET", target: "/products/a", hasCredentials: false)
        let head = CachePolicy.classify(tenant: tenant, method: "HEAD", target: "/products/a", hasCredentials: false)
        #expect(get == head)
        guard case .lookup(let key) = get else {
            Issue.record("expected a lookup")
            return
        }
        #expect(key.tenant == tenant)
        #expect(key.rawValue.hasPrefix("tenant:alpine:"))
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"])
    func otherMethodsPass(method: String) {
        #expect(CachePolicy.classify(tenant: tenant, method: method, target: "/", hasCredentials: false) == .pass(reason: .method))
    }

    /// A request with credentials never reads from or writes to the shared cache.
    @Test func credentialsPass() {
        #expect(CachePolicy.classify(tenant: tenant, method: "GET", target: "/", hasCredentials: true) == .pass(reason: .credentials))
    }

    @Test func storesWithSharedMaxAgeBeforeMaxAge() {
        let decision = CachePolicy.classify(
            status: 200,
            cacheControl: CacheControl(fieldValues: ["max-age=10, s-maxage=300"]),
            ageSeconds: 0,
            hasSetCookie: false,
            hasVary: false
        )
        #expect(decision == .store(ttlSeconds: 300))
    }

    /// `Age` from an upstream shortens the remaining lifetime; an already stale response is not stored.
    @Test func ageCountsAgainstLifetime() {
        let cc = CacheControl(fieldValues: ["max-age=60"])
        #expect(CachePolicy.classify(status: 200, cacheControl: cc, ageSeconds: 20, hasSetCookie: false, hasVary: false) == .store(ttlSeconds: 40))
        #expect(
            CachePolicy.classify(status: 200, cacheControl: cc, ageSeconds: 60, hasSetCookie: false, hasVary: false)
                == .uncacheable(reason: "already stale")
        )
    }

    @Test(arguments: [
        (["no-store, s-maxage=60"], false, false, 200, "no-store"),
        (["private, max-age=60"], false, false, 200, "private"),
        (["no-cache, max-age=60"], false, false, 200, "no-cache"),
        (["max-age=60"], true, false, 200, "set-cookie"),
        (["max-age=60"], false, true, 200, "vary *"),
        ([], false, false, 200, "no explicit freshness"),
        (["max-age=60"], false, false, 500, "status"),
        (["max-age=60"], false, false, 302, "status"),
    ])
    /// Responses a shared cache must not store, and why.
    func uncacheable(cacheControl: [String], setCookie: Bool, vary: Bool, status: Int, reason: String) {
        let decision = CachePolicy.classify(
            status: status,
            cacheControl: CacheControl(fieldValues: cacheControl),
            ageSeconds: 0,
            hasSetCookie: setCookie,
            hasVary: vary
        )
        #expect(decision == .uncacheable(reason: reason))
    }
}
