import Logging
import Metrics
import NIOCore
import RedisClient
import Shared
import Synchronization

/// The origin's shared cache. Keys are ``CacheKey`` values, so every entry lives in one tenant's namespace:
/// there is no way to cache under a global key.
///
/// A cache never fails a request: when it cannot answer, `get` returns `nil` and the caller reads PostgreSQL.
public protocol OriginCache: Sendable {
    /// The cached bytes, or `nil` on a miss or when the cache is unavailable.
    func get(_ key: CacheKey) async -> [UInt8]?
    /// Stores `value` for `ttl`; failures are counted and otherwise ignored.
    func set(_ key: CacheKey, _ value: [UInt8], ttl: Duration) async
    /// Removes `key`.
    func delete(_ key: CacheKey) async
}

/// ``OriginCache`` on Redis.
///
/// Redis being down or slow costs at most one short timeout: after a failure the cache is bypassed for
/// ``backoff`` (requests go straight to PostgreSQL), counted in `storefront_redis_errors_total` and
/// `storefront_redis_degraded_total`.
public final class RedisOriginCache: OriginCache {
    private let client: RedisClient
    private let logger: Logger
    private let backoff: Duration
    private let bypassUntil = Mutex<ContinuousClock.Instant?>(nil)
    private let hits = Counter(label: "storefront_redis_hits_total")
    private let misses = Counter(label: "storefront_redis_misses_total")
    private let errors = Counter(label: "storefront_redis_errors_total")
    private let degraded = Counter(label: "storefront_redis_degraded_total")

    /// - Parameters:
    ///   - client: the Redis client (its timeouts bound the cost of a slow Redis).
    ///   - backoff: how long to bypass Redis after an error.
    ///   - logger: where failures are reported.
    public init(client: RedisClient, backoff: Duration = .seconds(1), logger: Logger) {
        self.client = client
        self.backoff = backoff
        self.logger = logger
    }

    public func get(_ key: CacheKey) async -> [UInt8]? {
        guard available() else { return nil }
        do {
            switch try await client.send([Array("GET".utf8), Array(key.rawValue.utf8)]) {
            case .bulkString(let bytes?):
                hits.increment()
                return bytes
            default:
                misses.increment()
                return nil
            }
        } catch {
            failed(error)
            return nil
        }
    }

    public func set(_ key: CacheKey, _ value: [UInt8], ttl: Duration) async {
        guard available() else { return }
        let milliseconds = max(1, ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
        do {
            try await client.send([Array("SET".utf8), Array(key.rawValue.utf8), value, Array("PX".utf8), Array(String(milliseconds).utf8)])
        } catch {
            failed(error)
        }
    }

    public func delete(_ key: CacheKey) async {
        guard available() else { return }
        do {
            try await client.send([Array("DEL".utf8), Array(key.rawValue.utf8)])
        } catch {
            failed(error)
        }
    }

    private func available() -> Bool {
        let until = bypassUntil.withLock { $0 }
        if let until, ContinuousClock.now < until {
            degraded.increment()
            return false
        }
        return true
    }

    private func failed(_ error: any Error) {
        errors.increment()
        degraded.increment()
        bypassUntil.withLock { $0 = ContinuousClock.now + backoff }
        logger.warning("redis unavailable; serving from PostgreSQL", metadata: ["error": "\(error)"])
    }
}
