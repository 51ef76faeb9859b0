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

@Suite struct TenantFairnessTests {
    let quiet = TenantID("quiet")!
    let noisy = TenantID("noisy")!

    func has(_ store: CacheStore<Int>, _ tenant: TenantID, _ id: Int) -> Bool {
        if case .fresh = store.lookup(CacheKey(tenant: tenant, resource: "p", id: String(id)), now: 0) { return true }
        return false
    }

    /// A tenant flooding the cache evicts its own objects; a tenant within its fair share keeps its own.
    @Test func floodEvictsTheFlooder() {
        let store = CacheStore<Int>(byteBudget: 100)
        for id in 0..<3 { store.store(CacheKey(tenant: quiet, resource: "p", id: String(id)), payload: id, size: 10, now: 0, ttlSeconds: 60) }
        for id in 0..<50 { store.store(CacheKey(tenant: noisy, resource: "p", id: String(id)), payload: id, size: 10, now: 0, ttlSeconds: 60) }
        #expect((0..<3).allSatisfy { has(store, quiet, $0) })
        #expect(store.tenantUsage[quiet]?.evictions == 0)
        #expect(store.tenantUsage[noisy]?.bytes == 70)
        #expect(store.usage.bytes <= 100)
    }

    /// Space another tenant does not use stays available; shares weight the split under pressure.
    @Test func sharesWeightTheSplit() {
        let store = CacheStore<Int>(byteBudget: 100)
        store.setShare(3, for: quiet)
        for id in 0..<50 {
            store.store(CacheKey(tenant: quiet, resource: "p", id: String(id)), payload: id, size: 10, now: 0, ttlSeconds: 60)
            store.store(CacheKey(tenant: noisy, resource: "p", id: String(id)), payload: id, size: 10, now: 0, ttlSeconds: 60)
        }
        let quietBytes = store.tenantUsage[quiet]?.bytes ?? 0
        let noisyBytes = store.tenantUsage[noisy]?.bytes ?? 0
        #expect(quietBytes + noisyBytes <= 100)
        #expect(quietBytes >= 70 && noisyBytes >= 20)
    }
}
