import EdgeCore
import Shared
import Testing

@Suite struct CacheStoreTests {
    let alpine = TenantID("alpine")!
    let harbor = TenantID("harbor")!
    let second: UInt64 = 1_000_000_000

    func key(_ tenant: TenantID, _ id: String) -> CacheKey { CacheKey(tenant: tenant, resource: "page", id: id) }

    func payload(_ lookup: CacheStore<String>.Lookup) -> String? {
        if case .fresh(let hit) = lookup { return hit.payload }
        return nil
    }

    @Test func storedObjectIsFreshUntilItsTTL() {
        let store = CacheStore<String>(byteBudget: 1000)
        store.store(key(alpine, "a"), payload: "A", size: 1, now: 0, ttlSeconds: 10)
        #expect(payload(store.lookup(key(alpine, "a"), now: 9 * second)) == "A")
        #expect(payload(store.lookup(key(alpine, "a"), now: 10 * second)) == nil)
        #expect(store.usage.objects == 0)
    }

    /// Two tenants' objects under the same resource and id never answer for each other.
    @Test func tenantsDoNotShareEntries() {
        let store = CacheStore<String>(byteBudget: 1000)
        store.store(key(alpine, "home"), payload: "alpine", size: 1, now: 0, ttlSeconds: 10)
        #expect(payload(store.lookup(key(harbor, "home"), now: 0)) == nil)
        store.store(key(harbor, "home"), payload: "harbor", size: 1, now: 0, ttlSeconds: 10)
        #expect(payload(store.lookup(key(alpine, "home"), now: 0)) == "alpine")
        #expect(payload(store.lookup(key(harbor, "home"), now: 0)) == "harbor")
    }

    /// The store never holds more bytes than its budget, and never stores an object larger than it.
    @Test func staysWithinBudget() {
        let store = CacheStore<String>(byteBudget: 100)
        for index in 0..<50 { store.store(key(alpine, "\(index)"), payload: "x", size: 30, now: 0, ttlSeconds: 60) }
        #expect(store.usage.bytes <= 100)
        #expect(store.usage.objects == 3)
        store.store(key(alpine, "huge"), payload: "x", size: 101, now: 0, ttlSeconds: 60)
        #expect(payload(store.lookup(key(alpine, "huge"), now: 0)) == nil)
    }

    /// SIEVE: an object that was hit survives the next eviction; an unvisited older one goes.
    @Test func visitedObjectSurvivesEviction() {
        let store = CacheStore<String>(byteBudget: 3)
        for id in ["a", "b", "c"] { store.store(key(alpine, id), payload: id, size: 1, now: 0, ttlSeconds: 60) }
        _ = store.lookup(key(alpine, "a"), now: 0)
        store.store(key(alpine, "d"), payload: "d", size: 1, now: 0, ttlSeconds: 60)
        #expect(payload(store.lookup(key(alpine, "a"), now: 0)) == "a")
        #expect(payload(store.lookup(key(alpine, "b"), now: 0)) == nil)
        #expect(payload(store.lookup(key(alpine, "c"), now: 0)) == "c")
        #expect(payload(store.lookup(key(alpine, "d"), now: 0)) == "d")
    }

    /// Replacing a key keeps one object and accounts its new size.
    @Test func replaceAccountsOnce() {
        let store = CacheStore<String>(byteBudget: 100)
        store.store(key(alpine, "a"), payload: "1", size: 10, now: 0, ttlSeconds: 60)
        store.store(key(alpine, "a"), payload: "2", size: 20, now: 0, ttlSeconds: 60)
        #expect(store.usage.objects == 1)
        #expect(store.usage.bytes == 20)
        #expect(payload(store.lookup(key(alpine, "a"), now: 0)) == "2")
        store.remove(key(alpine, "a"))
        #expect(store.usage.bytes == 0)
    }

    /// Many objects through a small store: accounting stays exact and nothing crashes the list.
    @Test func churnKeepsAccountingExact() {
        let store = CacheStore<Int>(byteBudget: 500)
        var generator = SystemRandomNumberGenerator()
        for step in 0..<5000 {
            let id = Int.random(in: 0..<200, using: &generator)
            if step % 3 == 0 {
                _ = store.lookup(key(alpine, "\(id)"), now: UInt64(step))
            } else {
                store.store(key(alpine, "\(id)"), payload: id, size: 1 + id % 17, now: UInt64(step), ttlSeconds: 60)
            }
            #expect(store.usage.bytes <= 500)
        }
    }
}

@Suite struct CacheStorePurgeTests {
    let alpine = TenantID("alpine")!
    let harbor = TenantID("harbor")!

    func key(_ tenant: TenantID, _ id: String) -> CacheKey { CacheKey(tenant: tenant, resource: "page", id: id) }

    func has(_ store: CacheStore<String>, _ key: CacheKey) -> Bool {
        if case .fresh = store.lookup(key, now: 0) { return true }
        return false
    }

    /// A product tag removes the pages carrying it, and nothing else.
    @Test func purgeByTag() {
        let store = CacheStore<String>(byteBudget: 1000)
        store.store(key(alpine, "p1"), payload: "1", size: 1, now: 0, ttlSeconds: 60, tags: [.product(alpine, 1)])
        store.store(key(alpine, "p2"), payload: "2", size: 1, now: 0, ttlSeconds: 60, tags: [.product(alpine, 2)])
        #expect(store.purge(tenant: alpine, tags: [SurrogateKey.product(alpine, 1).rawValue]) == 1)
        #expect(!has(store, key(alpine, "p1")))
        #expect(has(store, key(alpine, "p2")))
    }

    /// Purging a whole tenant leaves every other tenant's objects in place.
    @Test func purgeTenantStaysInTenant() {
        let store = CacheStore<String>(byteBudget: 1000)
        for id in ["a", "b"] {
            store.store(key(alpine, id), payload: id, size: 1, now: 0, ttlSeconds: 60)
            store.store(key(harbor, id), payload: id, size: 1, now: 0, ttlSeconds: 60)
        }
        #expect(store.purge(tenant: alpine, tags: [SurrogateKey.tenant(alpine).rawValue]) == 2)
        #expect(has(store, key(harbor, "a")) && has(store, key(harbor, "b")))
        #expect(store.usage.objects == 2)
    }

    /// A response cannot carry another tenant's tag into the store, and a purge for one tenant naming
    /// another tenant's tag touches nothing.
    @Test func foreignTagsNeverReachOtherTenants() {
        let store = CacheStore<String>(byteBudget: 1000)
        store.store(key(alpine, "x"), payload: "x", size: 1, now: 0, ttlSeconds: 60, tags: [.product(harbor, 9), .product(alpine, 9)])
        store.store(key(harbor, "y"), payload: "y", size: 1, now: 0, ttlSeconds: 60, tags: [.product(harbor, 9)])
        // harbor's purge of its product 9 removes harbor's page only, not alpine's page that claimed the tag.
        #expect(store.purge(tenant: harbor, tags: [SurrogateKey.product(harbor, 9).rawValue]) == 1)
        #expect(has(store, key(alpine, "x")))
        // alpine naming harbor's tag purges nothing.
        #expect(store.purge(tenant: alpine, tags: [SurrogateKey.tenant(harbor).rawValue]) == 0)
        #expect(has(store, key(alpine, "x")))
    }

    /// Evicted and replaced objects leave the tag index, so a later purge counts only live objects.
    @Test func tagIndexFollowsEviction() {
        let store = CacheStore<String>(byteBudget: 2)
        for index in 0..<5 {
            store.store(key(alpine, "\(index)"), payload: "x", size: 1, now: 0, ttlSeconds: 60, tags: [.catalogue(alpine)])
        }
        #expect(store.purge(tenant: alpine, tags: [SurrogateKey.catalogue(alpine).rawValue]) == 2)
        #expect(store.usage.objects == 0 && store.usage.bytes == 0)
    }
}

@Suite struct RequestCoalescerTests {
    let key = CacheKey(tenant: TenantID("alpine")!, resource: "page", id: "/p")

    /// The first miss leads, the rest wait, and finishing hands every waiter back once.
    @Test func oneLeaderManyWaiters() {
        let coalescer = RequestCoalescer<Int>()
        #expect(coalescer.join(key, waiter: 0) == .leader)
        for index in 1...99 { #expect(coalescer.join(key, waiter: index) == .waiter) }
        #expect(coalescer.finish(key) == Array(1...99))
        #expect(coalescer.finish(key) == [])
        #expect(coalescer.fetchesInFlight == 0)
        // The next miss after a finished fetch leads again.
        #expect(coalescer.join(key, waiter: 100) == .leader)
    }

    /// The same path of two tenants is two fetches: coalescing never crosses tenants.
    @Test func tenantsDoNotCoalesce() {
        let coalescer = RequestCoalescer<Int>()
        let other = CacheKey(tenant: TenantID("harbor")!, resource: "page", id: "/p")
        #expect(coalescer.join(key, waiter: 1) == .leader)
        #expect(coalescer.join(other, waiter: 2) == .leader)
        #expect(coalescer.fetchesInFlight == 2)
    }

    /// Concurrent joins from many threads elect exactly one leader.
    @Test func concurrentJoinsElectOneLeader() async {
        let coalescer = RequestCoalescer<Int>()
        let key = self.key
        let leaders = await withTaskGroup(of: Int.self) { group in
            for index in 0..<200 { group.addTask { coalescer.join(key, waiter: index) == .leader ? 1 : 0 } }
            return await group.reduce(0, +)
        }
        #expect(leaders == 1)
        #expect(coalescer.finish(key).count == 199)
    }
}

@Suite struct CacheStoreStaleTests {
    let key = CacheKey(tenant: TenantID("alpine")!, resource: "page", id: "/p")
    let second: UInt64 = 1_000_000_000

    /// After freshness: stale within the windows (which say how it may be used), then gone.
    @Test func staleWindows() {
        let store = CacheStore<String>(byteBudget: 100)
        store.store(key, payload: "x", size: 1, now: 0, ttlSeconds: 10, staleWhileRevalidate: 5, staleIfError: 20)
        guard case .fresh = store.lookup(key, now: 9 * second) else {
            Issue.record("fresh expected")
            return
        }
        guard case .stale(_, true, true) = store.lookup(key, now: 12 * second) else {
            Issue.record("revalidatable stale expected")
            return
        }
        guard case .stale(_, false, true) = store.lookup(key, now: 20 * second) else {
            Issue.record("error-only stale expected")
            return
        }
        guard case .miss = store.lookup(key, now: 31 * second) else {
            Issue.record("miss expected")
            return
        }
        #expect(store.usage.objects == 0)
    }

    /// A response kept only for revalidation is stale but servable in neither window.
    @Test func keptForRevalidation() {
        let store = CacheStore<String>(byteBudget: 100)
        store.store(key, payload: "x", size: 1, now: 0, ttlSeconds: 1, keepForRevalidation: 60)
        guard case .stale(_, false, false) = store.lookup(key, now: 30 * second) else {
            Issue.record("stale expected")
            return
        }
    }

    @Test func parsesStaleDirectives() {
        let cc = CacheControl(fieldValues: ["max-age=60, stale-while-revalidate=30, stale-if-error=\"600\""])
        #expect(cc.staleWhileRevalidate == 30)
        #expect(cc.staleIfError == 600)
        #expect(CachePolicy.staleWindows(cc) == (30, 600))
        #expect(CachePolicy.staleWindows(CacheControl(fieldValues: ["stale-if-error=600, proxy-revalidate"])) == (0, 0))
    }
}

@Suite struct VaryIndexTests {
    let base = CacheKey(tenant: TenantID("alpine")!, resource: "http", id: "GET /p")

    @Test func variantKeysFollowTheRecordedHeaders() {
        let index = VaryIndex()
        #expect(index.key(for: base) { _ in ["de"] } == base)
        let german = index.record(base, vary: ["Accept-Language, accept-encoding"]) { $0 == "accept-language" ? ["de"] : ["gzip"] }
        let english = index.key(for: base) { $0 == "accept-language" ? ["en"] : ["gzip"] }
        let germanAgain = index.key(for: base) { $0 == "accept-language" ? [" de "] : ["gzip"] }
        #expect(german != base)
        #expect(german != english)
        #expect(german == germanAgain)
        #expect(german.tenant == base.tenant)
    }
}

@Suite struct SoftPurgeTests {
    let key = CacheKey(tenant: TenantID("alpine")!, resource: "page", id: "/p")
    let second: UInt64 = 1_000_000_000

    /// A soft purge makes a fresh object stale at once, keeping its stale windows from now on.
    @Test func softPurgeMarksStale() {
        let store = CacheStore<String>(byteBudget: 100)
        store.store(key, payload: "x", size: 1, now: 0, ttlSeconds: 300, staleWhileRevalidate: 30, staleIfError: 60)
        #expect(store.purge(tenant: key.tenant, tags: [SurrogateKey.tenant(key.tenant).rawValue], soft: true, now: 10 * second) == 1)
        guard case .stale(_, true, true) = store.lookup(key, now: 11 * second) else {
            Issue.record("stale expected")
            return
        }
        guard case .stale(_, false, true) = store.lookup(key, now: 50 * second) else {
            Issue.record("error-only expected")
            return
        }
        #expect(store.usage.objects == 1)
        // A hard purge removes.
        #expect(store.purge(tenant: key.tenant, tags: [SurrogateKey.tenant(key.tenant).rawValue]) == 1)
        #expect(store.usage.objects == 0)
    }
}
