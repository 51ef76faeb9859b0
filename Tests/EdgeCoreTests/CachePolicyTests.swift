import EdgeCore
import Foundation
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

@Suite struct ExpiresAndNoCacheTests {
    @Test func parsesIMFFixdate() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Fri, 27 Nov 2026 10:00:00 GMT") == 1_795_773_600)
    }

    @Test func formatsIMFFixdateAndRoundTrips() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        for seconds in stride(from: 0, to: 4_000_000_000, by: 7_777_777) {
            #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
        }
    }

    @Test(arguments: ["0", "-1", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", ""])
    /// Invalid or obsolete forms do not parse (for Expires: already expired).
    func rejectsInvalidDates(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    /// Expires gives freshness only without max-age/s-maxage; an expired or invalid Expires stores nothing.
    @Test func expiresFreshness() {
        let none = CacheControl(fieldValues: [])
        #expect(
            CachePolicy.classify(status: 200, cacheControl: none, ageSeconds: 0, hasSetCookie: false, hasVary: false, expires: 120)
                == .store(ttlSeconds: 120)
        )
        #expect(
            CachePolicy.classify(status: 200, cacheControl: none, ageSeconds: 0, hasSetCookie: false, hasVary: false, expires: 0)
                == .uncacheable(reason: "already stale")
        )
        let maxAge = CacheControl(fieldValues: ["max-age=10"])
        #expect(
            CachePolicy.classify(status: 200, cacheControl: maxAge, ageSeconds: 0, hasSetCookie: false, hasVary: false, expires: 600)
                == .store(ttlSeconds: 10)
        )
    }

    /// no-cache is stored only with a validator, fresh for zero seconds (revalidated before every use).
    @Test func noCacheNeedsValidator() {
        let noCache = CacheControl(fieldValues: ["no-cache, max-age=60"])
        #expect(
            CachePolicy.classify(status: 200, cacheControl: noCache, ageSeconds: 0, hasSetCookie: false, hasVary: false, hasValidator: true)
                == .store(ttlSeconds: 0)
        )
        #expect(
            CachePolicy.classify(status: 200, cacheControl: noCache, ageSeconds: 0, hasSetCookie: false, hasVary: false)
                == .uncacheable(reason: "no-cache")
        )
    }
}

@Suite struct CredentialTests {
    @Test(arguments: [
        (false, [String](), [String](), false),
        (true, [], [], true),
        (false, ["consent=1"], ["consent"], false),
        (false, ["consent=1; session=abc"], ["consent"], true),
        (false, ["consent=1", "ab=2"], ["consent", "ab"], false),
        (false, ["session=abc"], [], true),
    ])
    /// Authorization always, and any cookie off the tenant's allow-list, make a request private.
    func credentials(authorization: Bool, cookies: [String], allowList: [String], expected: Bool) {
        #expect(CachePolicy.hasCredentials(hasAuthorization: authorization, cookieHeaders: cookies, allowList: allowList) == expected)
    }
}

/// Heuristic freshness (RFC 9111 §4.2.2): only where the tenant configured it, never over explicit freshness.
@Suite struct HeuristicFreshnessTests {
    let tenSeconds = HeuristicFreshness(lastModifiedFraction: 0.1, defaultSeconds: 30, maximumSeconds: 600)

    @Test func noneWithoutTenantSetting() {
        #expect(CachePolicy.heuristicLifetime(nil, lastModifiedAge: 10_000) == nil)
        let decision = CachePolicy.classify(
            status: 200,
            cacheControl: CacheControl(fieldValues: []),
            ageSeconds: 0,
            hasSetCookie: false,
            hasVary: false,
            heuristicLifetime: CachePolicy.heuristicLifetime(nil, lastModifiedAge: 10_000)
        )
        #expect(decision == .uncacheable(reason: "no explicit freshness"))
    }

    @Test func fractionOfLastModifiedAgeBounded() {
        #expect(CachePolicy.heuristicLifetime(tenSeconds, lastModifiedAge: 1_000) == 100)
        #expect(CachePolicy.heuristicLifetime(tenSeconds, lastModifiedAge: 1_000_000) == 600)
        // Last-Modified in the future (clock skew) gives nothing, not the default.
        #expect(CachePolicy.heuristicLifetime(tenSeconds, lastModifiedAge: -50) == nil)
        #expect(CachePolicy.heuristicLifetime(tenSeconds, lastModifiedAge: nil) == 30)
        #expect(CachePolicy.heuristicLifetime(HeuristicFreshness(defaultSeconds: 0), lastModifiedAge: nil) == nil)
    }

    @Test func explicitFreshnessWins() {
        let decision = CachePolicy.classify(
            status: 200,
            cacheControl: CacheControl(fieldValues: ["max-age=5"]),
            ageSeconds: 0,
            hasSetCookie: false,
            hasVary: false,
            heuristicLifetime: 600
        )
        #expect(decision == .store(ttlSeconds: 5))
        let expired = CachePolicy.classify(
            status: 200,
            cacheControl: CacheControl(fieldValues: []),
            ageSeconds: 0,
            hasSetCookie: false,
            hasVary: false,
            expires: 0,
            heuristicLifetime: 600
        )
        #expect(expired == .uncacheable(reason: "already stale"))
    }

    @Test func heuristicStoresOnlyWhatMayBeStored() {
        for (cacheControl, setCookie) in [(["private"], false), (["no-store"], false), ([], true)] {
            let decision = CachePolicy.classify(
                status: 200,
                cacheControl: CacheControl(fieldValues: cacheControl),
                ageSeconds: 0,
                hasSetCookie: setCookie,
                hasVary: false,
                heuristicLifetime: 600
            )
            #expect(decision != .store(ttlSeconds: 600))
        }
        let stored = CachePolicy.classify(
            status: 200,
            cacheControl: CacheControl(fieldValues: []),
            ageSeconds: 20,
            hasSetCookie: false,
            hasVary: false,
            heuristicLifetime: 600
        )
        #expect(stored == .store(ttlSeconds: 580))
    }

    @Test func settingsDecodeWithDefaultsAndRefuseNonsense() throws {
        let decoded = try JSONDecoder().decode(TenantEdgeSettings.self, from: Data(#"{"heuristicFreshness": {"defaultSeconds": 60}}"#.utf8))
        #expect(decoded.heuristicFreshness == HeuristicFreshness(lastModifiedFraction: 0.1, defaultSeconds: 60, maximumSeconds: 86_400))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TenantEdgeSettings.self, from: Data(#"{"heuristicFreshness": {"lastModifiedFraction": 3}}"#.utf8))
        }
    }

    @Test func rateLimitSettingsDecodeAndRefuseNonsense() throws {
        let json = #"{"rateLimits": {"perClient": {"perSecond": 5, "burst": 20}, "countCacheHits": true}}"#
        let decoded = try JSONDecoder().decode(TenantEdgeSettings.self, from: Data(json.utf8))
        #expect(decoded.rateLimits == TenantRateLimits(perClient: RateLimit(perSecond: 5, burst: 20), countCacheHits: true))
        #expect(try JSONDecoder().decode(TenantEdgeSettings.self, from: Data("{}".utf8)).rateLimits == nil)
        for bad in [#"{"perClient": {"perSecond": 0, "burst": 5}}"#, #"{"failedLogins": {"perSecond": 1, "burst": 0}}"#] {
            #expect(throws: DecodingError.self) {
                try JSONDecoder().decode(TenantEdgeSettings.self, from: Data(#"{"rateLimits": \#(bad)}"#.utf8))
            }
        }
    }
}
