#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where every time-based decision of the edge reads the time: ages, freshness, stale windows, origin
/// ejection, hit-ratio windows, `Expires` without `Date`.
///
/// Production uses ``SystemEdgeClock``; tests pass a ``ManualEdgeClock`` and move time on by hand, so a rule
/// such as "stale after one second" is tested without sleeping.
public protocol EdgeClock: Sendable {
    /// Monotonic time in nanoseconds; only differences between two readings mean anything.
    var nanoseconds: UInt64 { get }
    /// Seconds since 1970 on the wall clock (for HTTP dates).
    var wallSeconds: Int { get }
}

/// The machine's clocks: `CLOCK_MONOTONIC` (the clock SwiftNIO's deadlines use) and the wall clock.
public struct SystemEdgeClock: EdgeClock {
    public init() {}

    public var nanoseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    public var wallSeconds: Int {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int(now.tv_sec)
    }
}
