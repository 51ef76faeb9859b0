import Foundation
import Logging
import PostgresNIO
import Shared

/// Creates tenants, storefronts and demo data on the primary. Every step is idempotent.
public enum Seeder {
    /// A tenant to create, with its first storefront.
    public struct TenantSpec: Sendable {
        public var id: TenantID
        public var name: String
        public var domain: HostName
        public var theme: Theme

        public init(id: TenantID, name: String, domain: HostName, theme: Theme) {
            self.id = id
            self.name = name
            self.domain = domain
            self.theme = theme
        }
    }

    /// The two demo storefronts of the dev stack.
    public static let demoTenants: [TenantSpec] = [
        TenantSpec(
            id: TenantID("alpine")!,
            name: "Alpine Outfitters",
            domain: HostName(normalising: "alpine-outfitters.test")!,
            theme: Theme(name: "Alpine Outfitters", primaryColor: "#0f3d3e", accentColor: "#e07a1f", backgroundColor: "#f7f5f0")
        ),
        TenantSpec(
            id: TenantID("harbor")!,
            name: "Harbor Coffee",
            domain: HostName(normalising: "harbor-coffee.test")!,
            theme: Theme(name: "Harbor Coffee", primaryColor: "#3b2418", accentColor: "#b5651d", backgroundColor: "#fffaf2")
        ),
    ]

    public enum Failure: Error, CustomStringConvertible {
        case domainTaken(HostName)

        public var description: String {
            switch self {
            case .domainTaken(let domain): "domain \(domain) already belongs to another tenant"
            }
        }
    }

    /// Creates the tenant and its storefront (or updates the theme of an existing one of the same tenant).
    public static func upsertTenant(_ spec: TenantSpec, on client: PostgresClient, logger: Logger) async throws {
        let theme = String(decoding: try JSONEncoder().encode(spec.theme), as: UTF8.self)
        do {
            try await insertTenant(spec, theme: theme, on: client, logger: logger)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    private static func insertTenant(_ spec: TenantSpec, theme: String, on client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO tenants (id, name) VALUES (\(spec.id.rawValue), \(spec.name))
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name
                """,
                logger: logger
            )
            let rows = try await connection.query(
                """
                INSERT INTO storefronts (domain, tenant_id, theme) VALUES (\(spec.domain.rawValue), \(spec.id.rawValue), \(theme)::jsonb)
                ON CONFLICT (domain) DO UPDATE SET theme = EXCLUDED.theme WHERE storefronts.tenant_id = EXCLUDED.tenant_id
                RETURNING tenant_id
                """,
                logger: logger
            )
            var updated = false
            for try await _ in rows { updated = true }
            guard updated else { throw Failure.domainTaken(spec.domain) }
        }
    }

    /// Gives `tenant` `products` products and `orders` orders of two lines each, if it has fewer.
    public static func seedCatalogue(
        _ spec: TenantSpec,
        products: Int,
        orders: Int,
        currency: String = "EUR",
        on client: PostgresClient,
        logger: Logger
    ) async throws {
        let tenant = spec.id.rawValue
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO products (tenant_id, slug, title, description, price_cents, currency)
                SELECT \(tenant), 'product-' || g, \(spec.name) || ' item ' || g,
                       'A fine thing from ' || \(spec.name) || ', number ' || g || '.',
                       500 + (g * 137) % 20000, \(currency)
                FROM generate_series(1, \(products)) AS g
                ON CONFLICT (tenant_id, slug) DO NOTHING
                """,
                logger: logger
            )
            try await connection.query(
                """
                WITH new_orders AS (
                    INSERT INTO orders (tenant_id, idempotency_key, total_cents, currency)
                    SELECT \(tenant), 'seed-' || g, 0, \(currency) FROM generate_series(1, \(orders)) AS g
                    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
                    RETURNING id
                )
                INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, quantity, unit_price_cents)
                SELECT \(tenant), o.id, l, p.id, 1 + (o.id + l) % 3, p.price_cents
                FROM new_orders AS o
                CROSS JOIN generate_series(1, 2) AS l
                CROSS JOIN LATERAL (
                    SELECT id, price_cents FROM products WHERE tenant_id = \(tenant)
                    ORDER BY id OFFSET ((o.id * 7 + l * 13) % GREATEST(1, LEAST(\(products), 40))) LIMIT 1
                ) AS p
                """,
                logger: logger
            )
            try await connection.query(
                """
                UPDATE orders AS o SET total_cents = s.total
                FROM (SELECT order_id, sum(quantity * unit_price_cents) AS total FROM order_lines
                      WHERE tenant_id = \(tenant) GROUP BY order_id) AS s
                WHERE o.tenant_id = \(tenant) AND o.id = s.order_id AND o.total_cents = 0
                """,
                logger: logger
            )
        }
    }
}
