import Shared
import Synchronization

/// Phase 6 of the edge pipeline: N concurrent misses on one key make one origin request.
///
/// The first miss for a key becomes the leader and fetches; later misses for the same key wait. When the
/// leader finishes it takes every waiter and resumes them (after releasing the lock: lock, decide, act).
/// A leader must always call ``finish(_:)`` — on success, on an uncacheable answer, on failure — so no
/// waiter is ever left hanging.
public final class RequestCoalescer<Waiter: Sendable>: Sendable {
    /// What a miss should do.
    public enum Role: Equatable, Sendable {
        /// Fetch from the origin, then call ``RequestCoalescer/finish(_:)``.
        case leader
        /// Another request is fetching; this one waits to be resumed.
        case waiter
    }

    private let inFlight = Mutex([CacheKey: [Waiter]]())

    public init() {}

    /// Registers a miss on `key`.
    /// - Parameters:
    ///   - key: the cache key.
    ///   - waiter: how to resume this request if it has to wait (unused for the leader).
    public func join(_ key: CacheKey, waiter: Waiter) -> Role {
        inFlight.withLock { inFlight in
            if inFlight[key] != nil {
                inFlight[key]!.append(waiter)
                return .waiter
            }
            inFlight[key] = []
            return .leader
        }
    }

    /// Ends the fetch for `key` and hands back every waiter, to be resumed by the caller.
    /// - Parameter key: the key the leader fetched.
    public func finish(_ key: CacheKey) -> [Waiter] {
        inFlight.withLock { $0.removeValue(forKey: key) ?? [] }
    }

    /// The number of keys being fetched now.
    public var fetchesInFlight: Int { inFlight.withLock { $0.count } }

    /// The number of requests waiting on another request's fetch now.
    public var waiting: Int { inFlight.withLock { $0.values.reduce(0) { $0 + $1.count } } }
}
