import EdgeCore
import Foundation
import Shared
import Testing

/// The tenant's stale-if-error grace: responses without their own `stale-if-error` may be served stale for
/// the tenant's window when the origins fail, unless a directive forbids serving stale.
@Suite struct StaleGraceTests {
    let day = 86_400

    private func windows(_ cacheControl: String, grace: Int) -> (whileRevalidating: Int, ifError: Int) {
        CachePolicy.staleWindows(CacheControl(fieldValues: [cacheControl]), graceIfError: grace)
    }

    /// A product page (`s-maxage`, no `stale-if-error`) gets the tenant's grace.
    @Test func graceAppliesWithoutOwnDirective() {
        #expect(windows("public, max-age=60, s-maxage=300", grace: day) == (0, day))
        #expect(windows("public, max-age=1", grace: day) == (0, day))
        #expect(windows("public, max-age=1, stale-while-revalidate=30", grace: day) == (30, day))
    }

    /// The response's own `stale-if-error` wins, also when it is shorter or 0.
    @Test func ownDirectiveWins() {
        #expect(windows("public, max-age=1, stale-if-error=60", grace: day) == (0, 60))
        #expect(windows("public, max-age=1, stale-if-error=0", grace: day) == (0, 0))
        #expect(windows("public, max-age=1, stale-if-error=172800", grace: day) == (0, 172_800))
    }

    /// must-revalidate, proxy-revalidate and no-cache forbid the grace.
    @Test(arguments: ["public, max-age=1, must-revalidate", "public, s-maxage=1, proxy-revalidate", "no-cache"])
    func forbiddingDirectives(cacheControl: String) {
        #expect(windows(cacheControl, grace: day) == (0, 0))
    }

    /// A tenant with grace 0 (or a nonsensical negative one) gets none.
    @Test func zeroGraceIsOff() {
        #expect(windows("public, max-age=1", grace: 0) == (0, 0))
        #expect(windows("public, max-age=1", grace: -5) == (0, 0))
    }

    /// The admission decision stores a product page with the grace as its stale-if-error window.
    @Test func admissionStoresWithGrace() {
        let response = ResponseAdmission.Response(
            status: 200,
            stampedTenant: "alpine",
            cacheControl: CacheControl(fieldValues: ["public, max-age=0, s-maxage=60"]),
            ageSeconds: 0,
            hasSetCookie: false,
            vary: [],
            date: nil,
            expires: nil,
            lastModified: nil,
            hasValidator: false,
            cost: 100
        )
        let decision = ResponseAdmission.decide(
            response,
            tenant: TenantID("alpine")!,
            isLookup: true,
            heuristic: nil,
            limits: ResponseAdmission.Limits(maximumStoredObjectSize: 1000, revalidationGraceSeconds: 3600),
            nowWallSeconds: 1_800_000_000,
            staleIfErrorGrace: day
        )
        let storage = ResponseAdmission.Storage(ttlSeconds: 60, staleWhileRevalidate: 0, staleIfError: day, keepForRevalidationSeconds: 0)
        #expect(decision == .store(storage))
    }

    /// The store keeps such an object past its freshness for the grace, as stale-if-error only, then drops it.
    @Test func storeKeepsObjectForTheGrace() {
        let store = CacheStore<String>(byteBudget: 1000)
        let key = CacheKey(tenant: TenantID("alpine")!, resource: "http", id: "GET /p")
        let second: UInt64 = 1_000_000_000
        store.store(key, payload: "page", size: 4, now: 0, ttlSeconds: 1, staleIfError: day)
        guard case .stale(let hit, whileRevalidating: false, ifError: true) = store.lookup(key, now: 2 * second) else {
            Issue.record("expected a stale copy servable on error")
            return
        }
        #expect(hit.payload == "page")
        guard case .stale(_, _, ifError: true) = store.lookup(key, now: UInt64(day) * second) else {
            Issue.record("expected the copy kept for the whole grace")
            return
        }
        guard case .miss = store.lookup(key, now: UInt64(day + 2) * second) else {
            Issue.record("expected the copy gone after the grace")
            return
        }
        #expect(store.usage.objects == 0)
    }

    /// Kept stale objects still yield to SIEVE when the budget is full.
    @Test func staleObjectsAreStillEvicted() {
        let store = CacheStore<String>(byteBudget: 10)
        let tenant = TenantID("alpine")!
        let second: UInt64 = 1_000_000_000
        for index in 0..<5 {
            let key = CacheKey(tenant: tenant, resource: "http", id: "GET /\(index)")
            store.store(key, payload: "xxxx", size: 4, now: UInt64(index) * second, ttlSeconds: 1, staleIfError: day)
        }
        #expect(store.usage.objects == 2)
        #expect(store.usage.bytes <= 10)
    }

    /// The setting decodes with its default when absent, and is validated.
    @Test func settingDecodes() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode(TenantEdgeSettings.self, from: Data("{}".utf8)).staleIfErrorSeconds == day)
        #expect(try decoder.decode(TenantEdgeSettings.self, from: Data(#"{"staleIfErrorSeconds":0}"#.utf8)).staleIfErrorSeconds == 0)
        #expect(try decoder.decode(TenantEdgeSettings.self, from: Data(#"{"staleIfErrorSeconds":600}"#.utf8)).staleIfErrorSeconds == 600)
        #expect(throws: DecodingError.self) {
            try decoder.decode(TenantEdgeSettings.self, from: Data(#"{"staleIfErrorSeconds":-1}"#.utf8))
        }
        #expect(TenantEdgeSettings().staleIfErrorSeconds == day)
    }
}
