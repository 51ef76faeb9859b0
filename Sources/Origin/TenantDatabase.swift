import Logging
import PostgresNIO
import Shared

/// The origin's database: writes to the primary, reads to the streaming replica, always for one tenant.
///
/// Every call names its tenant; when a ``TenantScope`` is active it must be the same tenant, else the call
/// fails before touching the database. The closure gets a ``TenantConnection``, which only runs
/// `PostgresQuery` values (bound parameters, no string-built SQL).
public final class TenantDatabase: Sendable {
    /// Errors of the tenant boundary.
    public enum BoundaryError: Error, Equatable {
        /// A call for one tenant ran inside the scope of another.
        case tenantMismatch(scope: TenantID, requested: TenantID)
    }

    public let primary: PostgresClient
    public let replica: PostgresClient
    private let logger: Logger

    /// - Parameters:
    ///   - primary: the primary's client (writes).
    ///   - replica: the replica's client (reads). Both must be running (they are services).
    ///   - logger: the database logger.
    public init(primary: PostgresClient, replica: PostgresClient, logger: Logger) {
        self.primary = primary
        self.replica = replica
        self.logger = logger
    }

    /// Runs read-only work for `tenant` on the replica.
    /// - Parameters:
    ///   - tenant: the tenant whose data is read.
    ///   - body: the work; it must not keep the connection.
    public func read<Result: Sendable>(
        _ tenant: TenantID,
        _ body: (TenantConnection) async throws -> Result
    ) async throws -> Result {
        try checkScope(tenant)
        return try await replica.withConnection { connection in
            try await body(TenantConnection(tenant: tenant, connection: connection, logger: logger))
        }
    }

    /// Runs work for `tenant` in one transaction on the primary; an error rolls all of it back.
    /// - Parameters:
    ///   - tenant: the tenant whose data is written.
    ///   - body: the work; it must not keep the connection.
    public func write<Result: Sendable>(
        _ tenant: TenantID,
        _ body: (TenantConnection) async throws -> Result
    ) async throws -> Result {
        try checkScope(tenant)
        let logger = self.logger
        return try await primary.withTransaction(logger: logger) { connection in
            try await body(TenantConnection(tenant: tenant, connection: connection, logger: logger))
        }
    }

    private func checkScope(_ tenant: TenantID) throws {
        if let scope = TenantScope.current, scope != tenant {
            throw BoundaryError.tenantMismatch(scope: scope, requested: tenant)
        }
    }
}

/// A connection lent for one tenant's work. Queries are `PostgresQuery` values with bound parameters.
public struct TenantConnection {
    /// The tenant this connection works for; repositories filter by it.
    public let tenant: TenantID
    fileprivate let connection: PostgresConnection
    fileprivate let logger: Logger

    /// Runs a query and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger)
    }
}
