import Shared
import Synchronization

/// The edge's in-memory cache: tenant-namespaced keys, a byte budget, SIEVE eviction.
///
/// `Payload` is whatever the I/O layer stores (a pre-serialised response); the store only needs its size.
/// All state sits behind one `Mutex`, held for a dictionary operation and never across I/O.
///
/// Eviction is SIEVE (Zhang et al., NSDI '24): a FIFO queue with a "visited" bit per object and a hand that
/// walks from the oldest object, clearing bits, until it finds an unvisited object to evict. Hits only set a
/// bit (no list reordering under the lock, unlike LRU), and one-hit wonders leave quickly.
///
/// Each tenant has its own SIEVE queue. When the budget is full, the victim comes from the tenant that uses
/// the most bytes relative to its share (``setShare(_:for:)``, default 1): a tenant flooding the cache
/// evicts its own objects, not those of tenants within their fair share, while space a tenant leaves unused
/// stays available to the others.
public final class CacheStore<Payload: Sendable>: Sendable {
    /// A stored object as a lookup returns it.
    public struct Hit: Sendable {
        public let payload: Payload
        /// Monotonic time it was stored, in nanoseconds.
        public let storedAt: UInt64
        /// The `Age` it already had when stored, in seconds.
        public let initialAge: Int

        /// Its `Age` at `now` (monotonic nanoseconds), in seconds.
        public func age(at now: UInt64) -> Int {
            initialAge + Int((now &- storedAt) / 1_000_000_000)
        }
    }

    /// What one tenant has in the store, and what it lost.
    public struct TenantUsage: Sendable, Equatable {
        public var objects = 0
        public var bytes = 0
        public var evictions = 0
        public var purged = 0
    }

    /// The result of a lookup.
    public enum Lookup: Sendable {
        case fresh(Hit)
        /// Past its freshness, still kept: it may be served while revalidating in the background, or when
        /// the origin fails, within the windows its response allowed (RFC 5861).
        case stale(Hit, whileRevalidating: Bool, ifError: Bool)
        case miss
    }

    private final class Node {
        let key: CacheKey
        let payload: Payload
        let size: Int
        let storedAt: UInt64
        var expiresAt: UInt64
        var revalidateUntil: UInt64
        var errorUntil: UInt64
        /// Kept (as stale) until then: for the stale windows, or to revalidate by validator.
        var keepUntil: UInt64
        let initialAge: Int
        /// Purge tags, each inside the key's tenant; always includes the tenant's own tag.
        let tags: [String]
        var visited = false
        /// The queue owns its nodes through `newer` (from the oldest); `older` is a back pointer that `unlink`
        /// always patches, so it never outlives its target. Not `weak`: a weak reference gives every
        /// referenced node a side table, a heap allocation per cached object.
        var newer: Node?
        unowned(unsafe) var older: Node?

        init(
            key: CacheKey,
            payload: Payload,
            size: Int,
            storedAt: UInt64,
            expiresAt: UInt64,
            revalidateUntil: UInt64,
            errorUntil: UInt64,
            keepUntil: UInt64,
            initialAge: Int,
            tags: [String]
        ) {
            self.keepUntil = keepUntil
            self.revalidateUntil = revalidateUntil
            self.errorUntil = errorUntil
            self.key = key
            self.tags = tags
            self.payload = payload
            self.size = size
            self.storedAt = storedAt
            self.expiresAt = expiresAt
            self.initialAge = initialAge
        }
    }

    /// One tenant's SIEVE queue.
    private struct Queue {
        /// Oldest object; owns the chain through `newer`.
        var oldest: Node?
        var newest: Node?
        var hand: Node?
        var usage = TenantUsage()
    }

    private struct State: ~Copyable {
        var nodes: [CacheKey: Node] = [:]
        /// Purge tag → keys carrying it.
        var tagged: [String: TagMembers] = [:]
        var queues: [TenantID: Queue] = [:]
        var shares: [TenantID: Double] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    /// The most bytes of payload the store holds.
    public let byteBudget: Int

    /// - Parameter byteBudget: the most bytes of payload to hold; objects larger than this are never stored.
    public init(byteBudget: Int) {
        self.byteBudget = byteBudget
    }

    /// Looks up `key`. An expired object counts as a miss and is dropped.
    /// - Parameters:
    ///   - key: the tenant-namespaced key.
    ///   - now: monotonic time in nanoseconds.
    public func lookup(_ key: CacheKey, now: UInt64) -> Lookup {
        state.withLock { state in
            guard let node = state.nodes[key] else { return .miss }
            guard now < node.keepUntil else {
                Self.unlink(node, in: &state)
                return .miss
            }
            node.visited = true
            let hit = Hit(payload: node.payload, storedAt: node.storedAt, initialAge: node.initialAge)
            guard now < node.expiresAt else {
                return .stale(hit, whileRevalidating: now < node.revalidateUntil, ifError: now < node.errorUntil)
            }
            return .fresh(hit)
        }
    }

    /// Stores `payload` under `key`, evicting as needed to stay within the budget.
    /// - Parameters:
    ///   - key: the tenant-namespaced key.
    ///   - payload: the object.
    ///   - size: its size in bytes, counted against the budget.
    ///   - now: monotonic time in nanoseconds.
    ///   - ttlSeconds: how long it stays fresh.
    ///   - initialAge: its `Age` when received, in seconds.
    ///   - tags: its purge tags; tags of another tenant than the key's are dropped, and the tenant's own tag
    ///     is always added, so a purge can only ever reach objects of its own tenant.
    ///   - staleWhileRevalidate: seconds past freshness it may be served while revalidating.
    ///   - staleIfError: seconds past freshness it may be served when the origin fails.
    ///   - keepForRevalidation: seconds past freshness to keep it (not serve it) so that it can be revalidated
    ///     with a conditional request; for responses with a validator (`ETag`, `Last-Modified`).
    public func store(
        _ key: CacheKey,
        payload: Payload,
        size: Int,
        now: UInt64,
        ttlSeconds: Int,
        initialAge: Int = 0,
        tags: [SurrogateKey] = [],
        staleWhileRevalidate: Int = 0,
        staleIfError: Int = 0,
        keepForRevalidation: Int = 0
    ) {
        let tenantTag = SurrogateKey.tenant(key.tenant).rawValue
        let tags = [tenantTag] + tags.map(\.rawValue).filter { $0 != tenantTag && $0.hasPrefix(tenantTag + ":") }
        guard size <= byteBudget, ttlSeconds > 0 || keepForRevalidation > 0 else { return }
        let expiresAt = now &+ UInt64(ttlSeconds) &* 1_000_000_000
        let revalidateUntil = expiresAt &+ UInt64(max(0, staleWhileRevalidate)) &* 1_000_000_000
        let errorUntil = expiresAt &+ UInt64(max(0, staleIfError)) &* 1_000_000_000
        let keepUntil = max(revalidateUntil, errorUntil, expiresAt &+ UInt64(max(0, keepForRevalidation)) &* 1_000_000_000)
        state.withLock { state in
            let node = Node(
                key: key,
                payload: payload,
                size: size,
                storedAt: now,
                expiresAt: expiresAt,
                revalidateUntil: revalidateUntil,
                errorUntil: errorUntil,
                keepUntil: keepUntil,
                initialAge: initialAge,
                tags: tags
            )
            if let existing = state.nodes[key] { Self.unlink(existing, in: &state) }
            while state.bytes + size > byteBudget, let tenant = Self.heaviestTenant(in: state),
                let victim = Self.sieveVictim(in: state.queues[tenant]!)
            {
                let next = victim.newer
                Self.unlink(victim, in: &state)
                state.queues[tenant]!.usage.evictions += 1
                state.queues[tenant]!.hand = next
            }
            state.nodes[key] = node
            for tag in tags {
                if state.tagged[tag] == nil {
                    state.tagged[tag] = .one(key)
                } else {
                    state.tagged[tag]!.insert(key)
                }
            }
            var queue = state.queues[key.tenant] ?? Queue()
            node.older = queue.newest
            queue.newest?.newer = node
            queue.newest = node
            if queue.oldest == nil { queue.oldest = node }
            queue.usage.objects += 1
            queue.usage.bytes += size
            state.queues[key.tenant] = queue
            state.bytes += size
        }
    }

    /// Removes `key`, if stored.
    /// - Parameter key: the key.
    public func remove(_ key: CacheKey) {
        state.withLock { state in
            if let node = state.nodes[key] { Self.unlink(node, in: &state) }
        }
    }

    /// Purges every object of `tenant` carrying any of `tags`.
    /// - Parameters:
    ///   - tenant: the tenant whose objects are purged; objects of other tenants are never touched.
    ///   - tags: purge tags (``SurrogateKey`` raw values); ``SurrogateKey/tenant(_:)`` purges the whole tenant.
    ///   - soft: mark the objects stale instead of removing them: they are revalidated before their next
    ///     use, and may still be served within their stale-while-revalidate and stale-if-error windows,
    ///     counted from now.
    ///   - now: monotonic time in nanoseconds (for a soft purge).
    /// - Returns: how many objects were purged.
    @discardableResult
    public func purge(tenant: TenantID, tags: [String], soft: Bool = false, now: UInt64 = 0) -> Int {
        state.withLock { state in
            var removed = 0
            for tag in tags {
                guard let keys = state.tagged[tag]?.keys else { continue }
                for key in keys where key.tenant == tenant {
                    guard let node = state.nodes[key] else { continue }
                    if soft {
                        guard node.expiresAt > now else { continue }
                        let revalidateWindow = node.revalidateUntil - node.expiresAt
                        let errorWindow = node.errorUntil - node.expiresAt
                        node.expiresAt = now
                        node.revalidateUntil = now &+ revalidateWindow
                        node.errorUntil = now &+ errorWindow
                        node.keepUntil = max(node.keepUntil, node.revalidateUntil, node.errorUntil)
                    } else {
                        Self.unlink(node, in: &state)
                    }
                    removed += 1
                }
            }
            if removed > 0 { state.queues[tenant, default: Queue()].usage.purged += removed }
            return removed
        }
    }

    /// Per-tenant objects, bytes, evictions and purges.
    public var tenantUsage: [TenantID: TenantUsage] { state.withLock { $0.queues.mapValues(\.usage) } }

    /// Sets `tenant`'s share of the budget relative to other tenants (default 1; 2 means twice the bytes
    /// before its objects are evicted first).
    /// - Parameters:
    ///   - share: a positive weight.
    ///   - tenant: the tenant.
    public func setShare(_ share: Double, for tenant: TenantID) {
        state.withLock { $0.shares[tenant] = max(share, 0.001) }
    }

    /// The number of stored objects and their payload bytes.
    public var usage: (objects: Int, bytes: Int) {
        state.withLock { ($0.nodes.count, $0.bytes) }
    }

    /// The tenant using the most bytes relative to its share.
    private static func heaviestTenant(in state: borrowing State) -> TenantID? {
        var heaviest: (tenant: TenantID, weight: Double)?
        for (tenant, queue) in state.queues where queue.usage.bytes > 0 {
            let weight = Double(queue.usage.bytes) / (state.shares[tenant] ?? 1)
            if heaviest == nil || weight > heaviest!.weight { heaviest = (tenant, weight) }
        }
        return heaviest?.tenant
    }

    private static func sieveVictim(in queue: Queue) -> Node? {
        var candidate = queue.hand ?? queue.oldest
        while let node = candidate, node.visited {
            node.visited = false
            candidate = node.newer ?? queue.oldest
        }
        return candidate
    }

    private static func unlink(_ node: Node, in state: inout State) {
        let tenant = node.key.tenant
        var queue = state.queues[tenant]!
        if queue.hand === node { queue.hand = node.newer }
        let older = node.older
        let newer = node.newer
        if let older { older.newer = newer } else { queue.oldest = newer }
        if let newer { newer.older = older } else { queue.newest = older }
        node.newer = nil
        queue.usage.objects -= 1
        queue.usage.bytes -= node.size
        state.queues[tenant] = queue
        state.nodes[node.key] = nil
        state.bytes -= node.size
        for tag in node.tags where state.tagged[tag]?.remove(node.key) == true {
            state.tagged[tag] = nil
        }
    }
}
