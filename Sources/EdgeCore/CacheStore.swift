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
public final class CacheStore<Payload: Sendable>: Sendable {
    /// A stored object as a lookup returns it.
    public struct Hit: Sendable {
        public let payload: Payload
        /// Monotonic time it was stored, in nanoseconds.
        public let storedAt: UInt64
        /// The `Age` it already had when stored, in seconds.
        public let initialAge: Int
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
        let expiresAt: UInt64
        let revalidateUntil: UInt64
        let errorUntil: UInt64
        /// Kept (as stale) until then: for the stale windows, or to revalidate by validator.
        let keepUntil: UInt64
        let initialAge: Int
        /// Purge tags, each inside the key's tenant; always includes the tenant's own tag.
        let tags: [String]
        var visited = false
        var newer: Node?
        weak var older: Node?

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

    private struct State: ~Copyable {
        var nodes: [CacheKey: Node] = [:]
        /// Purge tag → keys carrying it.
        var tagged: [String: Set<CacheKey>] = [:]
        /// Oldest object; owns the chain through `newer`.
        var oldest: Node?
        var newest: Node?
        var hand: Node?
        var bytes = 0
        var tenants: [TenantID: TenantUsage] = [:]
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
        guard size <= byteBudget, ttlSeconds > 0 else { return }
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
            while state.bytes + size > byteBudget, let victim = Self.sieveVictim(in: &state) {
                let next = victim.newer
                Self.unlink(victim, in: &state)
                state.tenants[victim.key.tenant, default: .init()].evictions += 1
                state.hand = next
            }
            state.nodes[key] = node
            for tag in tags { state.tagged[tag, default: []].insert(key) }
            node.older = state.newest
            state.newest?.newer = node
            state.newest = node
            if state.oldest == nil { state.oldest = node }
            state.bytes += size
            state.tenants[key.tenant, default: .init()].objects += 1
            state.tenants[key.tenant, default: .init()].bytes += size
        }
    }

    /// Removes `key`, if stored.
    /// - Parameter key: the key.
    public func remove(_ key: CacheKey) {
        state.withLock { state in
            if let node = state.nodes[key] { Self.unlink(node, in: &state) }
        }
    }

    /// Removes every object of `tenant` carrying any of `tags`.
    /// - Parameters:
    ///   - tenant: the tenant whose objects are purged; objects of other tenants are never touched.
    ///   - tags: purge tags (``SurrogateKey`` raw values); ``SurrogateKey/tenant(_:)`` purges the whole tenant.
    /// - Returns: how many objects were removed.
    @discardableResult
    public func purge(tenant: TenantID, tags: [String]) -> Int {
        state.withLock { state in
            var removed = 0
            for tag in tags {
                guard let keys = state.tagged[tag] else { continue }
                for key in keys where key.tenant == tenant {
                    if let node = state.nodes[key] {
                        Self.unlink(node, in: &state)
                        removed += 1
                    }
                }
            }
            if removed > 0 { state.tenants[tenant, default: .init()].purged += removed }
            return removed
        }
    }

    /// Per-tenant objects, bytes, evictions and purges.
    public var tenantUsage: [TenantID: TenantUsage] { state.withLock { $0.tenants } }

    /// The number of stored objects and their payload bytes.
    public var usage: (objects: Int, bytes: Int) {
        state.withLock { ($0.nodes.count, $0.bytes) }
    }

    private static func sieveVictim(in state: inout State) -> Node? {
        var candidate = state.hand ?? state.oldest
        while let node = candidate, node.visited {
            node.visited = false
            candidate = node.newer ?? state.oldest
        }
        return candidate
    }

    private static func unlink(_ node: Node, in state: inout State) {
        if state.hand === node { state.hand = node.newer }
        let older = node.older
        let newer = node.newer
        if let older { older.newer = newer } else { state.oldest = newer }
        if let newer { newer.older = older } else { state.newest = older }
        node.newer = nil
        state.nodes[node.key] = nil
        state.bytes -= node.size
        state.tenants[node.key.tenant]?.objects -= 1
        state.tenants[node.key.tenant]?.bytes -= node.size
        for tag in node.tags {
            state.tagged[tag]?.remove(node.key)
            if state.tagged[tag]?.isEmpty == true { state.tagged[tag] = nil }
        }
    }
}
