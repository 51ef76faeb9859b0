import Shared

/// A token bucket on an injected clock (nanoseconds): it refills at the limit's rate up to its burst, and
/// each admitted request takes one token.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: UInt64

    /// A full bucket.
    public init(_ limit: RateLimit, now: UInt64) {
        tokens = limit.burst
        updated = now
    }

    /// Refills for the time since the last call, then takes one token if there is one.
    /// - Returns: `nil` when admitted; otherwise the whole seconds until a token will be there (at least 1),
    ///   for `Retry-After`.
    public mutating func take(_ limit: RateLimit, now: UInt64) -> Int? {
        refill(limit, now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return max(1, Int(((1 - tokens) / limit.perSecond).rounded(.up)))
    }

    /// Whether a token is there now, without taking it.
    /// - Returns: `nil` when one is; otherwise the whole seconds until one will be.
    public mutating func check(_ limit: RateLimit, now: UInt64) -> Int? {
        refill(limit, now: now)
        return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / limit.perSecond).rounded(.up)))
    }

    /// Takes one token whether or not there is one (a failed login counts after the fact); the bucket may go
    /// below zero down to `-burst`, so that a flood keeps its sender out longer.
    public mutating func charge(_ limit: RateLimit, now: UInt64) {
        refill(limit, now: now)
        tokens = max(-limit.burst, tokens - 1)
    }

    /// The tokens spent and not yet refilled at `now`, a token partly refilled counting as spent (for a
    /// failed-login bucket: recent failures).
    public func spent(_ limit: RateLimit, now: UInt64) -> Int {
        var copy = self
        copy.refill(limit, now: now)
        return max(0, Int((limit.burst - copy.tokens - 1e-9).rounded(.up)))
    }

    /// Whether the bucket is full at `now` (nothing to remember about its key).
    public func isFull(_ limit: RateLimit, now: UInt64) -> Bool {
        var copy = self
        copy.refill(limit, now: now)
        return copy.tokens >= limit.burst
    }

    private mutating func refill(_ limit: RateLimit, now: UInt64) {
        guard now > updated else { return }
        tokens = min(limit.burst, tokens + Double(now - updated) / 1e9 * limit.perSecond)
        updated = now
    }
}
