import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Thrown to work that waited on a server the moment that server is known down (see ``Tripwire``).
struct ServerDown: Error, CustomStringConvertible {
    /// Which server: `primary` or `replica`.
    var server: String
    var description: String { "the \(server) is down" }
}

/// One PostgreSQL server, watched over a connection of its own rather than one from the pool that serves
/// requests: a probe never queues behind requests, and a server that stops or restarts closes this
/// connection, which marks it down the moment it happens, before any probe.
///
/// Down also means: a probe was refused or failed, or ``slowProbesBeforeDown`` probes in a row took longer
/// than the timeout (a hung server; a few slow probes on a busy machine are not an outage, and work waiting on
/// a hung server has its own deadline). Going down trips the current ``tripwire``; work waiting on the server
/// watches it and moves on at once. The next probe that succeeds
/// marks the server up again, with a fresh tripwire.
final class ServerWatch: Sendable {
    /// How probes reach the server.
    enum Link: Sendable {
        /// A connection of the watch's own (what an origin uses).
        case dedicated(PostgresConnection.Configuration)
        /// Through a pool (tests that hand in clients only); a stopped server is then known at the next probe.
        case pool(PostgresClient)
    }

    /// Probes in a row that ran out of time before the server is marked down (a refused or failed probe, or
    /// the watch's connection closing, marks it down at once).
    static let slowProbesBeforeDown = 4

    private struct State {
        var up = true
        var slowProbes = 0
        var connection: PostgresConnection?
        var tripwire: Tripwire
        var nextConnectionID = 0
        var ended = false
    }

    /// `primary` or `replica`, for logs and errors.
    let name: String
    private let link: Link
    private let timeout: Duration
    private let logger: Logger
    private let state: Mutex<State>

    /// - Parameters:
    ///   - name: `primary` or `replica`.
    ///   - link: how probes reach the server.
    ///   - timeout: a probe (connecting included) taking longer marks the server down.
    ///   - logger: up/down transitions are logged here.
    init(name: String, link: Link, timeout: Duration, logger: Logger) {
        self.name = name
        self.link = link
        self.timeout = timeout
        self.logger = logger
        state = Mutex(State(tripwire: Tripwire(error: ServerDown(server: name))))
    }

    /// Whether the last look found the server answering (true until the first look says otherwise).
    var isUp: Bool { state.withLock { $0.up } }

    /// Trips when the server goes down; after it came back, a new one.
    var tripwire: Tripwire { state.withLock { $0.tripwire } }

    /// Runs `work` on the server within the timeout. Success marks the server up; a failure drops the watch's
    /// connection (it may be the one that hung), marks the server down (a timeout: see
    /// ``slowProbesBeforeDown``) and returns `nil`.
    func probe<Value: Sendable>(_ work: @escaping @Sendable (PostgresConnection) async throws -> Value) async -> Value? {
        do {
            let value = try await withDeadline(timeout) { try await self.withConnection(work) }
            markUp()
            return value
        } catch {
            guard !Task.isCancelled else { return nil }
            let description = String(reflecting: error)
            let slow = error is DeadlineExceeded || description.contains("imeout")
            let (slowProbes, connection) = state.withLock { state in
                state.slowProbes = slow ? state.slowProbes + 1 : 0
                defer { state.connection = nil }
                return (state.slowProbes, state.connection)
            }
            _ = connection?.close() as EventLoopFuture<Void>?
            if !slow || slowProbes >= Self.slowProbesBeforeDown { markDown(because: description) }
            return nil
        }
    }

    /// Marks the server down: the tripwire trips, the watch's connection is closed.
    func markDown(because reason: String) {
        let (wasUp, tripwire, connection) = state.withLock { state in
            defer {
                state.up = false
                state.connection = nil
            }
            return (state.up, state.tripwire, state.connection)
        }
        _ = connection?.close() as EventLoopFuture<Void>?
        tripwire.trip()
        if wasUp { logger.warning("database server down", metadata: ["server": "\(name)", "reason": "\(reason)"]) }
    }

    /// Closes the watch's connection for good (the origin is shutting down).
    func end() {
        let connection = state.withLock { state in
            state.ended = true
            defer { state.connection = nil }
            return state.connection
        }
        _ = connection?.close() as EventLoopFuture<Void>?
    }

    private func markUp() {
        let cameBack = state.withLock { state -> Bool in
            state.slowProbes = 0
            guard !state.up else { return false }
            state.up = true
            if state.tripwire.isTripped { state.tripwire = Tripwire(error: ServerDown(server: name)) }
            return true
        }
        if cameBack { logger.info("database server up again", metadata: ["server": "\(name)"]) }
    }

    private func withConnection<Value: Sendable>(_ work: @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        switch link {
        case .pool(let client):
            return try await client.withConnection { try await work($0) }
        case .dedicated(let configuration):
            return try await work(try await connection(configuration))
        }
    }

    /// The watch's open connection, or a new one. Its closing (the server stopped, restarted or cut it)
    /// marks the server down at once.
    private func connection(_ configuration: PostgresConnection.Configuration) async throws -> PostgresConnection {
        let (open, id) = state.withLock { state -> (PostgresConnection?, Int) in
            state.nextConnectionID += 1
            return (state.connection, state.nextConnectionID)
        }
        if let open, !open.isClosed { return open }
        let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        let kept = state.withLock { state -> Bool in
            guard !state.ended else { return false }
            state.connection = connection
            return true
        }
        guard kept else {
            try? await connection.close()
            throw CancellationError()
        }
        connection.closeFuture.whenComplete { _ in self.closed(connection) }
        return connection
    }

    private func closed(_ connection: PostgresConnection) {
        let current = state.withLock { state in
            !state.ended && state.connection.map { $0 === connection } == true
        }
        if current { markDown(because: "its connection closed") }
    }
}
