import EdgeCore
import Shared
import Testing

@Suite struct ResponseAdmissionTests {
    let tenant = TenantID("alpine")!
    let limits = ResponseAdmission.Limits(maximumStoredObjectSize: 1000, revalidationGraceSeconds: 3600)
    let now = 1_800_000_000

    private func response(
        status: Int = 200,
        stamp: String? = nil,
        cacheControl: String = "s-maxage=60",
        age: Int = 0,
        setCookie: Bool = false,
        vary: [String] = [],
        date: String? = nil,
        expires: String? = nil,
        validator: Bool = false,
        cost: Int = 500
    ) -> ResponseAdmission.Response {
        ResponseAdmission.Response(
            status: status,
            stampedTenant: stamp,
            cacheControl: CacheControl(fieldValues: [cacheControl]),
            ageSeconds: age,
            hasSetCookie: setCookie,
            vary: vary,
            date: date,
            expires: expires,
            lastModified: nil,
            hasValidator: validator,
            cost: cost
        )
    }

    private func decide(_ response: ResponseAdmission.Response, isLookup: Bool = true) -> ResponseAdmission.Decision {
        ResponseAdmission.decide(response, tenant: tenant, isLookup: isLookup, heuristic: nil, limits: limits, nowWallSeconds: now)
    }

    /// A response stamped for another tenant is refused, whether the request was a lookup or a pass.
    @Test(arguments: [true, false])
    func foreignStampRefused(isLookup: Bool) {
        #expect(decide(response(stamp: "harbor"), isLookup: isLookup) == .refuse(stampedTenant: "harbor"))
    }

    /// The request's own stamp is fine.
    @Test func ownStampStored() {
        guard case .store = decide(response(stamp: "alpine")) else {
            Issue.record("expected the response to be stored")
            return
        }
    }

    /// A request that passed the cache is served, never stored.
    @Test func passedRequestServedOnly() {
        #expect(decide(response(), isLookup: false) == .serveOnly(.requestPassed))
    }

    /// Freshness less the origin's Age; stale windows from Cache-Control; a validator keeps it for revalidation.
    @Test func storedWithWindows() {
        let decision = decide(response(cacheControl: "s-maxage=60, stale-while-revalidate=30, stale-if-error=600", age: 10, validator: true))
        #expect(decision == .store(.init(ttlSeconds: 50, staleWhileRevalidate: 30, staleIfError: 600, keepForRevalidationSeconds: 3600)))
    }

    /// RFC 9111 refusals keep their reason.
    @Test func uncacheableReasons() {
        #expect(decide(response(cacheControl: "private, max-age=60")) == .serveOnly(.uncacheable("private")))
        #expect(decide(response(setCookie: true)) == .serveOnly(.uncacheable("set-cookie")))
        #expect(decide(response(status: 500)) == .serveOnly(.uncacheable("status")))
    }

    /// Larger than the largest stored object: served, not stored.
    @Test func tooLarge() {
        #expect(decide(response(cost: 1001)) == .serveOnly(.tooLarge))
    }

    /// `Expires` counts from `Date`, and from the clock when there is no `Date`; an invalid one is expired.
    @Test func expiresAgainstDateOrClock() {
        let date = HTTPDate.format(now - 100)
        let expires = HTTPDate.format(now + 20)
        #expect(
            decide(response(cacheControl: "public", date: date, expires: expires))
                == .store(.init(ttlSeconds: 120, staleWhileRevalidate: 0, staleIfError: 0, keepForRevalidationSeconds: 0))
        )
        #expect(
            decide(response(cacheControl: "public", expires: expires))
                == .store(.init(ttlSeconds: 20, staleWhileRevalidate: 0, staleIfError: 0, keepForRevalidationSeconds: 0))
        )
        #expect(decide(response(cacheControl: "public", expires: "0")) == .serveOnly(.uncacheable("already stale")))
    }

    /// Waiters share a stored answer, look up again for a variant, fetch themselves otherwise, fail on a refusal.
    @Test func waiters() {
        let stored = decide(response())
        #expect(stored.waiters(varies: false) == .share)
        #expect(stored.waiters(varies: true) == .lookUpAgain)
        #expect(decide(response(setCookie: true)).waiters(varies: false) == .fetchThemselves)
        #expect(decide(response(stamp: "harbor")).waiters(varies: false) == .fail)
    }
}
