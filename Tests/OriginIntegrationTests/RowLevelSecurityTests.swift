import Origin
import PostgresNIO
import Shared
import TestSupport
import Testing

/// PostgreSQL's own wall: row-level security for the application role, whatever SQL it runs.
@Suite struct RowLevelSecurityTests {
    /// A raw query as the application role, without a tenant setting, sees no tenant rows at all.
    @Test func noTenantSettingNoRows() async throws {
        try await TestDatabase.with { db in
            try await db.createTenant(TestEnvironment.uniqueTenant(name: "Hidden"), products: 3)
            let visible = try await db.primary.query("SELECT count(*)::int FROM products").decode(Int.self).collect()
            #expect(visible == [0])
            let ownerSees = try await db.owner.query("SELECT count(*)::int FROM products").decode(Int.self).collect()
            #expect((ownerSees.first ?? 0) >= 3)
        }
    }

    /// With tenant A set, a query without any filter returns only A's rows, never B's.
    @Test func tenantSettingLimitsRows() async throws {
        try await TestDatabase.with { db in
            let a = TestEnvironment.uniqueTenant(name: "Rls A")
            let b = TestEnvironment.uniqueTenant(name: "Rls B")
            try await db.createTenant(a, products: 4, orders: 3)
            try await db.createTenant(b, products: 4, orders: 3)
            for client in [db.primary, db.replica] {
                let seen = try await client.withTransaction(logger: TestEnvironment.logger) { connection in
                    try await connection.query("SELECT set_config('app.tenant_id', \(a.id.rawValue), true)", logger: TestEnvironment.logger)
                    var tenants: Set<String> = []
                    for table in ["products", "orders", "order_lines"] {
                        let rows = try await connection.query(
                            PostgresQuery(unsafeSQL: "SELECT DISTINCT tenant_id FROM \(table)"),
                            logger: TestEnvironment.logger
                        )
                        for try await tenant in rows.decode(String.self) { tenants.insert(tenant) }
                    }
                    return tenants
                }
                #expect(seen == [a.id.rawValue])
            }
        }
    }

    /// Under tenant A's setting, a row for tenant B cannot be written.
    @Test func cannotWriteAnotherTenantsRow() async throws {
        try await TestDatabase.with { db in
            let a = TestEnvironment.uniqueTenant(name: "Writer A")
            let b = TestEnvironment.uniqueTenant(name: "Victim B")
            try await db.createTenant(a, products: 0)
            try await db.createTenant(b, products: 0)
            await #expect(throws: (any Error).self) {
                try await db.primary.withTransaction(logger: TestEnvironment.logger) { connection in
                    try await connection.query("SELECT set_config('app.tenant_id', \(a.id.rawValue), true)", logger: TestEnvironment.logger)
                    try await connection.query(
                        "INSERT INTO products (tenant_id, slug, title, price_cents, currency) VALUES (\(b.id.rawValue), 'planted', 'x', 1, 'EUR')",
                        logger: TestEnvironment.logger
                    )
                }
            }
            let planted = try await db.owner.query("SELECT count(*)::int FROM products WHERE tenant_id = \(b.id.rawValue)")
                .decode(Int.self).collect()
            #expect(planted == [0])
        }
    }

    /// The application role owns no table and cannot bypass row-level security.
    @Test func applicationRoleIsConfined() async throws {
        try await TestDatabase.with { db in
            let role = try await db.primary.query(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            ).decode((Bool, Bool).self).collect()
            #expect(role.count == 1 && role[0] == (false, false))
            let owned = try await db.primary.query(
                "SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
            ).decode(Int.self).collect()
            #expect(owned == [0])
            let unprotected = try await db.owner.query(
                """
                SELECT count(*)::int FROM pg_class
                WHERE relname IN ('products', 'orders', 'order_lines') AND relkind = 'r' AND NOT relrowsecurity
                """
            ).decode(Int.self).collect()
            #expect(unprotected == [0])
        }
    }
}
