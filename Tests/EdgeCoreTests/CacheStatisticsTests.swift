import EdgeCore
import Shared
import Testing

@Suite struct CacheStatisticsTests {
    let alpine = TenantID("alpine")!
    let harbor = TenantID("harbor")!
    let second: UInt64 = 1_000_000_000

    /// Hit ratio counts hits (and coalesced) over cacheable requests; passes stay out; tenants apart.
    @Test func hitRatioPerTenant() {
        let statistics = CacheStatistics()
        let now = 1_000 * second
        for _ in 0..<3 { statistics.record(.hit, tenant: alpine, now: now) }
        statistics.record(.coalesced, tenant: alpine, now: now)
        statistics.record(.miss, tenant: alpine, now: now)
        for _ in 0..<10 { statistics.record(.pass, tenant: alpine, now: now) }
        statistics.record(.miss, tenant: harbor, now: now)
        let ratios = statistics.hitRatios(now: now)
        #expect(ratios[alpine] == 0.8)
        #expect(ratios[harbor] == 0)
        #expect(statistics.totals[alpine] == CacheStatistics.Counters(hits: 3, misses: 1, passes: 10, coalesced: 1))
    }

    /// Requests older than the one-minute window no longer count.
    @Test func windowSlides() {
        let statistics = CacheStatistics()
        let start = 1_000 * second
        statistics.record(.miss, tenant: alpine, now: start)
        statistics.record(.hit, tenant: alpine, now: start + 90 * second)
        #expect(statistics.hitRatios(now: start + 90 * second)[alpine] == 1.0)
    }

    /// The store reports each tenant's objects and bytes, and whose objects were evicted.
    @Test func storeAccountsPerTenant() {
        let store = CacheStore<Int>(byteBudget: 30)
        store.store(CacheKey(tenant: alpine, resource: "p", id: "1"), payload: 1, size: 10, now: 0, ttlSeconds: 60)
        store.store(CacheKey(tenant: alpine, resource: "p", id: "2"), payload: 2, size: 10, now: 0, ttlSeconds: 60)
        store.store(CacheKey(tenant: harbor, resource: "p", id: "1"), payload: 3, size: 10, now: 0, ttlSeconds: 60)
        store.store(CacheKey(tenant: harbor, resource: "p", id: "2"), payload: 4, size: 10, now: 0, ttlSeconds: 60)
        let usage = store.tenantUsage
        #expect(usage[alpine]?.evictions == 1)
        #expect(usage[alpine]?.objects == 1 && usage[alpine]?.bytes == 10)
        #expect(usage[harbor]?.objects == 2 && usage[harbor]?.bytes == 20)
    }
}
