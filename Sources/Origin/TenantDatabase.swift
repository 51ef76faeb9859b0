import Logging
import Metrics
import PostgresNIO
import Shared
import Synchronization

/// The origin's database: writes to the primary, reads to the streaming replica, always for one tenant.
///
/// Three walls keep tenants apart:
/// 1. Every call names its tenant, and must run inside a ``TenantScope`` of that same tenant.
/// 2. ``TenantConnection`` refuses a statement on a tenant table that does not filter by `tenant_id`.
/// 3. Each unit of work runs in a transaction that sets `app.tenant_id`; PostgreSQL row-level security
///    limits every tenant table to that tenant (the application role owns no table and cannot bypass it).
///
/// Reads go to the replica unless this request wrote, the tenant wrote on this origin within
/// ``Routing/readYourWritesWindow``, the client carries the position of a write the replica has not replayed
/// yet (``TenantScope``'s request state, from the `sf_wal` cookie), or the replica is down or lagging (see
/// ``ReplicaMonitor``); a replica read that fails, times out (``Routing/replicaTimeout``) or is waiting when the
/// monitor finds the replica down is retried on the primary at once, so a replica outage costs little
/// latency, never a failed request. While the primary is down, reads stay on the replica (even when they
/// would rather read the primary) and writes fail at once with ``DatabaseUnavailable`` (`503`); a write
/// waits for the primary at most ``Routing/primaryTimeout`` and, once given up, never runs later (see
/// ``WriteAttempt``). After a write inside a request, the primary's WAL position is kept in the request's
/// state for the client to carry.
public final class TenantDatabase: Sendable {
    /// Errors of the tenant boundary.
    public enum BoundaryError: Error, Equatable, CustomStringConvertible {
        /// Tenant data was asked for outside any tenant scope.
        case noTenantContext
        /// A call for one tenant ran inside the scope of another.
        case tenantMismatch(scope: TenantID, requested: TenantID)
        /// A statement on a tenant table without a `tenant_id` filter.
        case missingTenantFilter(table: String)

        public var description: String {
            switch self {
            case .noTenantContext: "tenant data accessed outside a tenant context"
            case .tenantMismatch(let scope, let requested): "work for tenant \(requested) inside the scope of \(scope)"
            case .missingTenantFilter(let table): "statement on tenant table \(table) without a tenant_id filter"
            }
        }
    }

    /// Where reads go, and how long work waits for a server.
    public struct Routing: Sendable {
        /// After a tenant writes, its reads stay on the primary this long (read-your-writes across requests).
        public var readYourWritesWindow: Duration = .seconds(2)
        /// A replica read taking longer than this (lease and query) is retried on the primary.
        public var replicaTimeout: Duration = .milliseconds(500)
        /// Work on the primary (a write, a read that must go there) taking longer than this (lease included)
        /// is given up with ``DatabaseUnavailable``; it also bounds each statement of a write
        /// (`statement_timeout`). Keep it below the edge's origin timeout (10 s), so that the shopper hears
        /// a clear `503` from the origin rather than a `504` from the edge.
        public var primaryTimeout: Duration = .seconds(3)
        /// The `Retry-After` of those `503`s, in seconds.
        public var retryAfterSeconds = 2

        public init() {}
    }

    /// The raw clients stay inside the module (platform tables, health probes): outside it, tenant data is
    /// reachable only through ``read(_:_:)`` and ``write(_:_:)``.
    let primary: PostgresClient
    let replica: PostgresClient
    public let monitor: ReplicaMonitor
    private let routing: Routing
    private let logger: Logger
    private let recentWrites = Mutex([TenantID: ContinuousClock.Instant]())
    /// Replica reads retried on the primary.
    private let fallbacks = Counter(label: "storefront_db_replica_fallbacks_total")
    /// Reads that preferred the primary answered by the replica (the primary failed under them).
    private let primaryFallbacks = Counter(label: "storefront_db_primary_fallbacks_total")
    private let queryTimer = Metrics.Timer(label: "storefront_db_query_duration_seconds", dimensions: [("pool", "primary")])
    private let replicaQueryTimer = Metrics.Timer(label: "storefront_db_query_duration_seconds", dimensions: [("pool", "replica")])

    /// - Parameters:
    ///   - primary: the primary's client (writes), as the application role.
    ///   - replica: the replica's client (reads), as the application role. Both must be running.
    ///   - monitor: the replica's health and lag.
    ///   - routing: read routing settings.
    ///   - logger: the database logger.
    public init(
        primary: PostgresClient,
        replica: PostgresClient,
        monitor: ReplicaMonitor,
        routing: Routing = .init(),
        logger: Logger
    ) {
        self.primary = primary
        self.replica = replica
        self.monitor = monitor
        self.routing = routing
        self.logger = logger
    }

    /// Runs read-only work for `tenant`, on the replica when it may serve it.
    /// - Parameters:
    ///   - tenant: the tenant whose data is read; must be the current scope's.
    ///   - body: the work; it must not keep the connection.
    /// - Throws: ``DatabaseUnavailable`` when neither server can answer; otherwise what `body` throws.
    public func read<Result: Sendable>(
        _ tenant: TenantID,
        _ body: @escaping @Sendable (TenantConnection) async throws -> Result
    ) async throws -> Result {
        try checkScope(tenant)
        if mustReadFromPrimary(tenant) {
            do {
                return try await readFromPrimary(tenant, body)
            } catch let error as DatabaseUnavailable where mayFallBackToReplica() {
                // The read preferred the primary (read-your-writes); the primary failed under it. A replica
                // answer a little behind beats a 503 while the primary is away.
                primaryFallbacks.increment()
                logger.warning("primary read failed; reading from the replica", metadata: ["error": "\(error)"])
                return try await readFromReplica(tenant, body)
            }
        }
        return try await readFromReplica(tenant, body)
    }

    /// Whether a read whose primary failed may take the replica's answer: the replica is usable and this
    /// request has not written itself (its own write is only on the primary).
    private func mayFallBackToReplica() -> Bool {
        monitor.replicaUsable && TenantScope.request?.hasWritten != true
    }

    /// Reads on the replica within ``Routing/replicaTimeout`` (``Routing/primaryTimeout`` while the primary is
    /// down); a replica failure moves the read to the primary.
    private func readFromReplica<Result: Sendable>(
        _ tenant: TenantID,
        _ body: @escaping @Sendable (TenantConnection) async throws -> Result
    ) async throws -> Result {
        let lease = LeaseHolder()
        // While the primary is down the replica is the only answer: a slow one is waited for as long as the
        // primary would be, not abandoned for a primary that cannot answer.
        let limit = monitor.primaryUp ? routing.replicaTimeout : routing.primaryTimeout
        do {
            return try await withDeadline(limit, abandoningWhen: monitor.replica.tripwire) {
                try await self.run(on: self.replica, tenant: tenant, timer: self.replicaQueryTimer, lease: lease, body)
            }
        } catch let error where !Task.isCancelled && Self.isServerFailure(error, bodyStarted: lease.bodyStarted) {
            // A connection that hung is closed, so that the pool does not lend it again.
            _ = lease.abandon()
            if error is DeadlineExceeded || error is ServerDown { lease.closeConnection() }
            fallbacks.increment()
            logger.warning("replica read failed; reading from the primary", metadata: ["error": "\(error)"])
            return try await readFromPrimary(tenant, body)
        }
    }

    /// Runs work for `tenant` in one transaction on the primary; an error rolls all of it back.
    ///
    /// While the primary is known down it fails at once; otherwise it waits at most
    /// ``Routing/primaryTimeout`` (a server found down meanwhile ends the wait at once). A write given up is
    /// never carried out later: the transaction checks, before its first statement and before it commits,
    /// that its caller is still waiting for it.
    /// - Parameters:
    ///   - tenant: the tenant whose data is written; must be the current scope's.
    ///   - body: the work; it must not keep the connection.
    /// - Throws: ``DatabaseUnavailable`` (read-only mode, or the write's outcome unknown); otherwise what
    ///   `body` throws.
    public func write<Result: Sendable>(
        _ tenant: TenantID,
        _ body: @escaping @Sendable (TenantConnection) async throws -> Result
    ) async throws -> Result {
        try checkScope(tenant)
        guard monitor.primaryUp else { throw DatabaseUnavailable(.readOnly, retryAfterSeconds: routing.retryAfterSeconds) }
        let request = TenantScope.request
        request?.markWritten()
        defer {
            let now = ContinuousClock.now
            recentWrites.withLock { writes in
                writes[tenant] = now
                if writes.count > 10_000 { writes = writes.filter { now - $0.value < routing.readYourWritesWindow } }
            }
        }
        let lease = LeaseHolder(writing: true)
        let result: Result
        do {
            result = try await withDeadline(routing.primaryTimeout, abandoningWhen: monitor.primary.tripwire) {
                try await self.run(on: self.primary, tenant: tenant, timer: self.queryTimer, lease: lease, body)
            }
        } catch let error where Self.isServerFailure(error, bodyStarted: lease.bodyStarted) {
            let outcome = lease.abandon()
            lease.closeConnection()
            logger.warning("write given up", metadata: ["error": "\(error)", "outcome": "\(outcome)"])
            throw DatabaseUnavailable(outcome == .notWritten ? .readOnly : .writeUnconfirmed, retryAfterSeconds: routing.retryAfterSeconds)
        }
        if let request { await recordPosition(in: request) }
        return result
    }

    /// Which server a platform read goes to.
    enum Server: Sendable { case primary, replica }

    /// Runs a read of platform tables (`storefronts`: no tenant, no row-level security) on `server`, within the
    /// same deadlines as tenant work: ``Routing/replicaTimeout`` on the replica (the caller then asks the
    /// primary), ``Routing/primaryTimeout`` on the primary, failing with ``DatabaseUnavailable``.
    func platformRead<Result: Sendable>(
        on server: Server,
        _ body: @escaping @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        switch server {
        case .replica:
            return try await withDeadline(routing.replicaTimeout, abandoningWhen: monitor.replica.tripwire) { try await body(self.replica) }
        case .primary:
            let unavailable = DatabaseUnavailable(.unreachable, retryAfterSeconds: routing.retryAfterSeconds)
            guard monitor.primaryUp else { throw unavailable }
            do {
                return try await withDeadline(routing.primaryTimeout, abandoningWhen: monitor.primary.tripwire) { try await body(self.primary) }
            } catch let error where Self.isReplicaFailure(error) {
                throw unavailable
            }
        }
    }

    /// The primary's WAL insert position now. Read after a commit, it is at or past that commit.
    public func primaryPosition() async throws -> WALPosition? {
        for try await text in try await primary.query("SELECT pg_current_wal_insert_lsn()::text", logger: logger).decode(String.self) {
            return WALPosition(pgLSN: text)
        }
        return nil
    }

    /// Keeps the position the request's write reached, for the client to carry to any origin. Without it the
    /// write still stands; only its readers on other origins may read the replica before it replays it.
    private func recordPosition(in request: TenantScope.RequestState) async {
        do {
            let position = try await withDeadline(routing.replicaTimeout, abandoningWhen: monitor.primary.tripwire) {
                try await self.primaryPosition()
            }
            if let position { request.recordWrite(at: position) }
        } catch {
            logger.warning("could not read the primary's WAL position after a write", metadata: ["error": "\(error)"])
        }
    }

    /// Reads on the primary, within ``Routing/primaryTimeout``.
    private func readFromPrimary<Result: Sendable>(
        _ tenant: TenantID,
        _ body: @escaping @Sendable (TenantConnection) async throws -> Result
    ) async throws -> Result {
        let unavailable = DatabaseUnavailable(.unreachable, retryAfterSeconds: routing.retryAfterSeconds)
        guard monitor.primaryUp else { throw unavailable }
        let lease = LeaseHolder()
        do {
            return try await withDeadline(routing.primaryTimeout, abandoningWhen: monitor.primary.tripwire) {
                try await self.run(on: self.primary, tenant: tenant, timer: self.queryTimer, lease: lease, body)
            }
        } catch let error where Self.isServerFailure(error, bodyStarted: lease.bodyStarted) {
            _ = lease.abandon()
            lease.closeConnection()
            logger.warning("primary read failed", metadata: ["error": "\(error)"])
            throw unavailable
        }
    }

    private func mustReadFromPrimary(_ tenant: TenantID) -> Bool {
        if !monitor.replicaUsable { return true }
        // The primary is down: the replica's answer, even a little behind, is better than none.
        if !monitor.primaryUp { return false }
        let request = TenantScope.request
        if request?.hasWritten == true { return true }
        if let request, let required = request.requiredPosition {
            // The client wrote (on any origin) up to `required`: the replica must have replayed that far.
            guard let replayed = monitor.replayedPosition, replayed >= required else { return true }
            request.markReplicaCaughtUp()
        }
        let window = routing.readYourWritesWindow
        return recentWrites.withLock { writes in
            guard let last = writes[tenant] else { return false }
            return ContinuousClock.now - last < window
        }
    }

    /// Runs `body` in a transaction for `tenant` on a connection from `client`, kept in `lease` meanwhile. A
    /// write's lease is asked before the first statement and before the commit whether its caller still waits
    /// (see ``WriteAttempt``); its statements are bounded by ``Routing/primaryTimeout``.
    private func run<Result: Sendable>(
        on client: PostgresClient,
        tenant: TenantID,
        timer: Metrics.Timer,
        lease: LeaseHolder,
        _ body: @escaping @Sendable (TenantConnection) async throws -> Result
    ) async throws -> Result {
        let logger = self.logger
        let start = ContinuousClock.now
        defer { timer.record(duration: ContinuousClock.now - start) }
        do {
            return try await client.withConnection { connection in
                lease.hold(connection)
                defer { lease.release() }
                return try await connection.withTransaction(logger: logger) { connection in
                    try lease.bodyStarting()
                    if lease.writing {
                        let timeout = "\(Int64(routing.primaryTimeout / .milliseconds(1)))"
                        try await connection.query(
                            "SELECT set_config('app.tenant_id', \(tenant.rawValue), true), set_config('statement_timeout', \(timeout), true)",
                            logger: logger
                        )
                    } else {
                        try await connection.query("SELECT set_config('app.tenant_id', \(tenant.rawValue), true)", logger: logger)
                    }
                    let value = try await body(TenantConnection(tenant: tenant, connection: connection, logger: logger))
                    try lease.commitStarting()
                    return value
                }
            }
        } catch let error as PostgresTransactionError {
            // Callers see their own error (a validation failure, a conflict), not the transaction wrapper.
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    private func checkScope(_ tenant: TenantID) throws {
        guard let scope = TenantScope.current else { throw BoundaryError.noTenantContext }
        guard scope == tenant else { throw BoundaryError.tenantMismatch(scope: scope, requested: tenant) }
    }

    /// Errors that say "the server could not do the work", as opposed to errors of the work itself. Before
    /// the work's body started, every error is the server's (a refused connection, a pool giving up).
    static func isServerFailure(_ error: any Error, bodyStarted: Bool) -> Bool {
        if error is WriteAttempt.GivenUp { return true }
        return !bodyStarted || isReplicaFailure(error)
    }

    /// Errors that say "the replica could not answer", as opposed to errors in the work itself.
    static func isReplicaFailure(_ error: any Error) -> Bool {
        if error is DeadlineExceeded || error is ServerDown { return true }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                // 57P01 admin shutdown, 57P03 cannot connect now, 40001 conflict with recovery.
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("57P") || state == "40001"
            default:
                return true
            }
        }
        return false
    }
}
