import EdgeCore
import Shared
import Testing

/// Production mode (``ResponseAdmission/Limits/requireTenantStamp``): an origin response without the tenant
/// stamp is served, not stored; the lenient mode stores it.
@Suite struct UnstampedAdmissionTests {
    let tenant = TenantID("alpine")!

    private func decide(stamp: String?, requireStamp: Bool, isLookup: Bool = true) -> ResponseAdmission.Decision {
        let response = ResponseAdmission.Response(
            status: 200,
            stampedTenant: stamp,
            cacheControl: CacheControl(fieldValues: ["s-maxage=60"]),
            ageSeconds: 0,
            hasSetCookie: false,
            vary: [],
            date: nil,
            expires: nil,
            lastModified: nil,
            hasValidator: false,
            cost: 100
        )
        let limits = ResponseAdmission.Limits(maximumStoredObjectSize: 1000, revalidationGraceSeconds: 0, requireTenantStamp: requireStamp)
        return ResponseAdmission.decide(response, tenant: tenant, isLookup: isLookup, heuristic: nil, limits: limits, nowWallSeconds: 1_800_000_000)
    }

    @Test func unstampedIsServedNotStoredWhenTheStampIsRequired() {
        #expect(decide(stamp: nil, requireStamp: true) == .serveOnly(.unstamped))
        #expect(decide(stamp: nil, requireStamp: true).waiters(varies: false) == .fetchThemselves)
    }

    @Test func stampedIsStoredWhenTheStampIsRequired() {
        #expect(decide(stamp: "alpine", requireStamp: true).stores)
    }

    @Test func lenientModeStoresUnstamped() {
        #expect(decide(stamp: nil, requireStamp: false).stores)
    }

    @Test func foreignStampIsStillRefusedAndPassesStayPasses() {
        #expect(decide(stamp: "harbor", requireStamp: true) == .refuse(stampedTenant: "harbor"))
        #expect(decide(stamp: nil, requireStamp: true, isLookup: false) == .serveOnly(.requestPassed))
    }
}
