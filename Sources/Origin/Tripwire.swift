import Synchronization

/// A one-time signal that a server went down, for work that waits on it: a read waiting for a replica
/// connection, a write waiting for the primary. Tripping it wakes every watcher at once with ``error``,
/// so they move on (to the primary, or to a 503) instead of waiting out their deadline.
///
/// One tripwire covers one outage: ``ServerWatch`` replaces a tripped one with a new one when the server
/// answers again.
final class Tripwire: Sendable {
    /// What watchers receive.
    let error: any Error
    private struct State {
        var tripped = false
        var nextID = 0
        var watchers: [Int: @Sendable (any Error) -> Void] = [:]
    }

    private let state = Mutex(State())

    /// - Parameter error: what watchers receive when it trips.
    init(error: any Error) {
        self.error = error
    }

    /// Whether it has tripped.
    var isTripped: Bool { state.withLock { $0.tripped } }

    /// Calls `watcher` when the tripwire trips (at once if it has); returns a token for ``unwatch(_:)``.
    func watch(_ watcher: @escaping @Sendable (any Error) -> Void) -> Int {
        let (id, tripped) = state.withLock { state -> (Int, Bool) in
            state.nextID += 1
            if !state.tripped { state.watchers[state.nextID] = watcher }
            return (state.nextID, state.tripped)
        }
        if tripped { watcher(error) }
        return id
    }

    /// Stops watching (the work ended).
    func unwatch(_ id: Int) {
        _ = state.withLock { $0.watchers.removeValue(forKey: id) }
    }

    /// Trips it: every watcher is called once, now. Later calls do nothing.
    func trip() {
        let watchers = state.withLock { state -> [@Sendable (any Error) -> Void] in
            guard !state.tripped else { return [] }
            state.tripped = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher(error) }
    }
}
