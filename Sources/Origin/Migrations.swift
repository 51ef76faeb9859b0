import Logging
import PostgresNIO

/// The origin's schema, as an ordered list of migrations applied once each.
///
/// Every tenant table carries `tenant_id`, and foreign keys between tenant tables include it, so a row can
/// never point at another tenant's row.
public enum Migrations {
    /// One schema change.
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        let statements: [String]
    }

    public static let all: [Migration] = [
        Migration(
            version: 1,
            name: "tenants, storefronts, catalogue, orders",
            statements: [
                """
                CREATE TABLE tenants (
                    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
                    name text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                """
                CREATE TABLE storefronts (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    domain text NOT NULL UNIQUE CHECK (domain ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
                    tenant_id text NOT NULL REFERENCES tenants (id),
                    theme jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(theme) = 'object'),
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX storefronts_tenant ON storefronts (tenant_id)",
                """
                CREATE TABLE products (
                    tenant_id text NOT NULL REFERENCES tenants (id),
                    id bigint GENERATED ALWAYS AS IDENTITY,
                    slug text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,126}[a-z0-9])?$'),
                    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
                    description text NOT NULL DEFAULT '',
                    price_cents bigint NOT NULL CHECK (price_cents >= 0),
                    currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, slug)
                )
                """,
                """
                CREATE TABLE orders (
                    tenant_id text NOT NULL REFERENCES tenants (id),
                    id bigint GENERATED ALWAYS AS IDENTITY,
                    idempotency_key text,
                    status text NOT NULL DEFAULT 'placed',
                    total_cents bigint NOT NULL CHECK (total_cents >= 0),
                    currency char(3) NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, idempotency_key)
                )
                """,
                """
                CREATE TABLE order_lines (
                    tenant_id text NOT NULL,
                    order_id bigint NOT NULL,
                    line_no int NOT NULL CHECK (line_no > 0),
                    product_id bigint NOT NULL,
                    quantity int NOT NULL CHECK (quantity > 0),
                    unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
                    PRIMARY KEY (tenant_id, order_id, line_no),
                    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE,
                    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
                )
                """,
                "CREATE INDEX order_lines_product ON order_lines (tenant_id, product_id)",
                "CREATE INDEX orders_created ON orders (tenant_id, created_at)",
            ]
        ),
        Migration(
            version: 2,
            name: "row-level security and the application role",
            statements: [
                """
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'storefront_app') THEN
                        RAISE EXCEPTION 'role storefront_app must exist before migrating (the platform creates it)';
                    END IF;
                END $$
                """,
                "GRANT SELECT ON tenants, storefronts TO storefront_app",
            ]
                + ["products", "orders", "order_lines"].flatMap { table in
                    [
                        "ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY",
                        """
                        CREATE POLICY tenant_isolation ON \(table)
                            USING (tenant_id = current_setting('app.tenant_id', true))
                            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
                        """,
                        "GRANT SELECT, INSERT, UPDATE, DELETE ON \(table) TO storefront_app",
                    ]
                }
        ),
        Migration(
            version: 3,
            name: "storefront settings, order idempotency, tenant admin users",
            statements: [
                "ALTER TABLE storefronts ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object')",
                "ALTER TABLE orders ADD COLUMN request_hash text",
                """
                CREATE TABLE admin_users (
                    tenant_id text NOT NULL REFERENCES tenants (id),
                    id bigint GENERATED ALWAYS AS IDENTITY,
                    email text NOT NULL CHECK (email ~ '^[^@\\s]+@[^@\\s]+$'),
                    password_hash text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, email)
                )
                """,
                "ALTER TABLE admin_users ENABLE ROW LEVEL SECURITY",
                """
                CREATE POLICY tenant_isolation ON admin_users
                    USING (tenant_id = current_setting('app.tenant_id', true))
                    WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
                """,
                "GRANT SELECT, INSERT, UPDATE, DELETE ON admin_users TO storefront_app",
                "GRANT INSERT ON tenants TO storefront_app",
                "GRANT INSERT, UPDATE ON storefronts TO storefront_app",
            ]
        ),
        Migration(
            version: 4,
            name: "event outbox",
            statements: [
                // A platform table (no tenant_id, no row-level security): the origins' relays read every
                // tenant's pending events. `destination` names the Redis they go to, so origins on different
                // Redis servers (tests) never relay each other's events.
                """
                CREATE TABLE event_outbox (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    destination text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('purge', 'tenants')),
                    payload text NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "CREATE INDEX event_outbox_destination ON event_outbox (destination, id)",
                // UPDATE only for SELECT … FOR UPDATE SKIP LOCKED, which requires it.
                "GRANT SELECT, INSERT, UPDATE, DELETE ON event_outbox TO storefront_app",
            ]
        ),
    ]

    /// Tables whose rows belong to one tenant: row-level security scopes them to `app.tenant_id`, and the
    /// query layer refuses statements on them that do not filter by `tenant_id`. (Migrations spell out their
    /// own table lists: an applied migration never changes.)
    public static let tenantTables = ["products", "orders", "order_lines", "admin_users"]

    /// Applies every migration not yet applied, each in its own transaction, under an advisory lock so that
    /// origins starting together apply each migration once.
    /// - Parameters:
    ///   - client: a running client of the primary, as a role that may change the schema.
    ///   - logger: where progress is logged.
    /// - Returns: the versions applied now.
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(727274)", logger: logger)
            do {
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """,
                    logger: logger
                )
                var applied: Set<Int> = []
                for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
                    .decode(Int.self)
                {
                    applied.insert(version)
                }
                var appliedNow: [Int] = []
                for migration in all where !applied.contains(migration.version) {
                    try await connection.withTransaction(logger: logger) { transaction in
                        for statement in migration.statements {
                            try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await transaction.query(
                            "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                            logger: logger
                        )
                    }
                    logger.info("migration applied", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                    appliedNow.append(migration.version)
                }
                try await connection.query("SELECT pg_advisory_unlock(727274)", logger: logger)
                return appliedNow
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(727274)", logger: logger)
                throw error
            }
        }
    }
}
