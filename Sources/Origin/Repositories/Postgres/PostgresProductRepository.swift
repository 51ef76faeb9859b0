import Foundation
import PostgresNIO
import Shared

/// ``ProductRepository`` on PostgreSQL: reads from the replica (when it may serve them), writes to the
/// primary, every statement filtered by the connection's tenant.
public struct PostgresProductRepository: ProductRepository {
    let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    /// The columns every product query selects, in ``decode(_:)``'s order.
    private static let columns = "id, slug, title, description, price_cents, currency, updated_at"

    public func product(_ tenant: TenantID, slug: String) async throws -> Product? {
        try await database.read(tenant) { connection in
            try await Self.first(
                connection.query(
                    """
                    SELECT \(unescaped: Self.columns)
                    FROM products WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug)
                    """
                )
            )
        }
    }

    public func list(_ tenant: TenantID, page: Int, perPage: Int) async throws -> ProductPageResult {
        let offset = (page - 1) * perPage
        return try await database.read(tenant) { connection in
            var products: [Product] = []
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns)
                FROM products WHERE tenant_id = \(connection.tenant.rawValue)
                ORDER BY id LIMIT \(perPage) OFFSET \(offset)
                """
            )
            for try await row in rows.decode(Row.self) { products.append(Self.decode(row)) }
            var total = 0
            for try await count in try await connection.query(
                "SELECT count(*)::int FROM products WHERE tenant_id = \(connection.tenant.rawValue)"
            ).decode(Int.self) {
                total = count
            }
            return ProductPageResult(products: products, page: page, perPage: perPage, total: total)
        }
    }

    public func create(_ tenant: TenantID, _ draft: ProductDraft) async throws -> Product? {
        try await database.write(tenant) { connection in
            try await Self.first(
                connection.query(
                    """
                    INSERT INTO products (tenant_id, slug, title, description, price_cents, currency)
                    VALUES (\(connection.tenant.rawValue), \(draft.slug), \(draft.title), \(draft.description), \(draft.priceCents), \(draft.currency))
                    ON CONFLICT (tenant_id, slug) DO NOTHING
                    RETURNING \(unescaped: Self.columns)
                    """
                )
            )
        }
    }

    public func update(_ tenant: TenantID, slug: String, _ changes: ProductChanges) async throws -> Product? {
        try await database.write(tenant) { connection in
            try await Self.first(
                connection.query(
                    """
                    UPDATE products SET
                        title = coalesce(\(changes.title), title),
                        description = coalesce(\(changes.description), description),
                        price_cents = coalesce(\(changes.priceCents), price_cents),
                        currency = coalesce(\(changes.currency), currency),
                        updated_at = now()
                    WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug)
                    RETURNING \(unescaped: Self.columns)
                    """
                )
            )
        }
    }

    public func delete(_ tenant: TenantID, slug: String) async throws -> ProductDeletion {
        do {
            return try await database.write(tenant) { connection in
                let rows = try await connection.query(
                    "DELETE FROM products WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug) RETURNING id"
                )
                var deleted: Int64?
                for try await id in rows.decode(Int64.self) { deleted = id }
                return deleted.map { .deleted(id: $0) } ?? .notFound
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            // A foreign key from order_lines: the product has been ordered.
            return .hasOrders
        }
    }

    private typealias Row = (Int64, String, String, String, Int64, String, Date)

    private static func decode(_ row: Row) -> Product {
        Product(id: row.0, slug: row.1, title: row.2, description: row.3, priceCents: row.4, currency: row.5, updatedAt: row.6)
    }

    /// The first row as a product; reads the sequence to its end (a write's statement completes).
    private static func first(_ rows: PostgresRowSequence) async throws -> Product? {
        var found: Product?
        for try await row in rows.decode(Row.self) where found == nil { found = decode(row) }
        return found
    }
}
