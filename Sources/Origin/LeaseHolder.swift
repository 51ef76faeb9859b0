import NIOCore
import PostgresNIO
import Synchronization

/// What a caller knows about its unit of work while it waits on it: the connection it holds (so that a
/// connection that hung can be closed when the caller gives up) and where the work is (``WriteAttempt``).
final class LeaseHolder: Sendable {
    /// Whether the work writes (its statements are then bounded by a `statement_timeout`).
    let writing: Bool
    private struct State {
        var connection: PostgresConnection?
        var attempt = WriteAttempt()
        var bodyStarted = false
    }

    private let state = Mutex(State())

    /// - Parameter writing: whether the work writes.
    init(writing: Bool = false) {
        self.writing = writing
    }

    /// Whether the work's body began (before that, any failure is the server's, never the work's).
    var bodyStarted: Bool { state.withLock { $0.bodyStarted } }

    /// The work leased `connection`.
    func hold(_ connection: PostgresConnection) {
        state.withLock { $0.connection = connection }
    }

    /// The work gave `connection` back.
    func release() {
        state.withLock { $0.connection = nil }
    }

    /// Inside the transaction, before the first statement: throws ``WriteAttempt/GivenUp`` if the caller left.
    func bodyStarting() throws {
        let allowed = state.withLock { state in
            state.bodyStarted = state.attempt.bodyStarting()
            return state.bodyStarted
        }
        guard allowed else { throw WriteAttempt.GivenUp() }
    }

    /// Inside the transaction, before the commit: throws ``WriteAttempt/GivenUp`` if the caller left.
    func commitStarting() throws {
        guard state.withLock({ $0.attempt.commitStarting() }) else { throw WriteAttempt.GivenUp() }
    }

    /// The caller stops waiting; returns what it may tell its client.
    func abandon() -> WriteAttempt.Outcome {
        state.withLock { $0.attempt.abandon() }
    }

    /// Closes the held connection (it hung, or its work was given up): the server rolls back whatever it had
    /// not committed, and the pool lends it no more.
    func closeConnection() {
        let connection = state.withLock { $0.connection }
        _ = connection?.close() as EventLoopFuture<Void>?
    }
}
