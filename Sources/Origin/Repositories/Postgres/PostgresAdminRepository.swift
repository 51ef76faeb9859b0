import Foundation
import Logging
import PostgresNIO
import Shared

/// ``AdminRepository`` on PostgreSQL. Tenant creation writes the platform tables `tenants` and
/// `storefronts` in one transaction on the primary; admin users are tenant rows behind the usual walls.
public struct PostgresAdminRepository: AdminRepository {
    let database: TenantDatabase
    let logger: Logger

    public init(database: TenantDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func createTenant(name: String, storefront: Storefront) async throws -> TenantCreation {
        let tenant = storefront.tenantID.rawValue
        let domain = storefront.domain.rawValue
        let theme = String(decoding: try JSONEncoder().encode(storefront.theme), as: UTF8.self)
        let settings = String(decoding: try JSONEncoder().encode(storefront.settings), as: UTF8.self)
        let logger = self.logger
        do {
            try await database.primary.withTransaction(logger: logger) { connection in
                try await connection.query("INSERT INTO tenants (id, name) VALUES (\(tenant), \(name))", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO storefronts (domain, tenant_id, theme, settings)
                    VALUES (\(domain), \(tenant), \(theme)::jsonb, \(settings)::jsonb)
                    """,
                    logger: logger
                )
            }
            return .created
        } catch let error as PostgresTransactionError {
            if let psql = error.closureError as? PSQLError, psql.serverInfo?[.sqlState] == "23505" {
                let constraint = psql.serverInfo?[.constraintName] ?? ""
                return constraint.contains("domain") ? .domainTaken : .idTaken
            }
            throw error
        }
    }

    public func createFirstAdmin(_ tenant: TenantID, email: String, passwordHash: String) async throws -> AdminCreation {
        try await database.write(tenant) { connection in
            var exists = false
            for try await _ in try await connection.query("SELECT 1 FROM tenants WHERE id = \(connection.tenant.rawValue)") {
                exists = true
            }
            guard exists else { return .noSuchTenant }
            var users = 0
            for try await count in try await connection.query(
                "SELECT count(*)::int FROM admin_users WHERE tenant_id = \(connection.tenant.rawValue)"
            ).decode(Int.self) {
                users = count
            }
            guard users == 0 else { return .alreadyHasAdmin }
            try await connection.query(
                """
                INSERT INTO admin_users (tenant_id, email, password_hash)
                VALUES (\(connection.tenant.rawValue), \(email), \(passwordHash))
                """
            )
            return .created
        }
    }

    public func passwordHash(_ tenant: TenantID, email: String) async throws -> String? {
        try await database.read(tenant) { connection in
            var found: String?
            for try await hash in try await connection.query(
                "SELECT password_hash FROM admin_users WHERE tenant_id = \(connection.tenant.rawValue) AND email = \(email)"
            ).decode(String.self) {
                found = hash
            }
            return found
        }
    }
}
