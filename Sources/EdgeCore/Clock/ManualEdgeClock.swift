import Synchronization

/// A clock that moves only when told to: for tests of time-based rules.
///
/// It starts at the system clock's readings, so values it produces look like real ones (HTTP dates in the
/// present), and from then on advances by ``advance(seconds:)`` alone.
public final class ManualEdgeClock: EdgeClock {
    private let state: Mutex<(nanoseconds: UInt64, wallSeconds: Int)>

    /// - Parameter start: the clock to take the first readings from.
    public init(startingAt start: some EdgeClock = SystemEdgeClock()) {
        state = Mutex((start.nanoseconds, start.wallSeconds))
    }

    public var nanoseconds: UInt64 { state.withLock { $0.nanoseconds } }

    public var wallSeconds: Int { state.withLock { $0.wallSeconds } }

    /// Moves both clocks forward.
    /// - Parameter seconds: how far; fractions move the monotonic clock exactly and the wall clock by the
    ///   whole seconds crossed.
    public func advance(seconds: Double) {
        precondition(seconds >= 0, "a clock does not go back")
        state.withLock { now in
            let before = now.nanoseconds
            now.nanoseconds += UInt64((seconds * 1_000_000_000).rounded())
            now.wallSeconds += Int(now.nanoseconds / 1_000_000_000) - Int(before / 1_000_000_000)
        }
    }
}
