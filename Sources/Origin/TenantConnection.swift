import Logging
import PostgresNIO
import Shared

/// A connection lent for one tenant's work. Queries are `PostgresQuery` values with bound parameters.
public struct TenantConnection: Sendable {
    /// The tenant this connection works for; repositories filter by it.
    public let tenant: TenantID
    let connection: PostgresConnection
    let logger: Logger

    init(tenant: TenantID, connection: PostgresConnection, logger: Logger) {
        self.tenant = tenant
        self.connection = connection
        self.logger = logger
    }

    /// Runs a query and returns its rows.
    ///
    /// A statement that names a tenant table (``Migrations/tenantTables``) must also name `tenant_id`, or it
    /// is refused before reaching the database: a forgotten tenant filter is an error, not a silent leak.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        if let table = Self.unfilteredTenantTable(in: query.sql) {
            throw TenantDatabase.BoundaryError.missingTenantFilter(table: table)
        }
        return try await connection.query(query, logger: logger)
    }

    /// The first tenant table `sql` names without any `tenant_id` in the statement.
    static func unfilteredTenantTable(in sql: String) -> String? {
        let lowered = sql.lowercased()
        let words = lowered.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
        if words.contains("tenant_id") { return nil }
        return Migrations.tenantTables.first { words.contains(Substring($0)) }
    }
}
