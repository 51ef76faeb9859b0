import PostgresNIO
import Shared

/// ``PopularProductsRepository`` on PostgreSQL: one aggregate over the tenant's order lines, on the replica
/// when it may serve it.
public struct PostgresPopularProductsRepository: PopularProductsRepository {
    let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    public func popular(_ tenant: TenantID, windowDays: Int, limit: Int) async throws -> [PopularProduct] {
        try await database.read(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT p.id, p.slug, p.title, p.price_cents, p.currency, sum(l.quantity)::bigint AS units
                FROM order_lines AS l
                JOIN orders AS o ON o.tenant_id = l.tenant_id AND o.id = l.order_id
                JOIN products AS p ON p.tenant_id = l.tenant_id AND p.id = l.product_id
                WHERE l.tenant_id = \(connection.tenant.rawValue)
                  AND o.created_at >= now() - make_interval(days => \(Int32(windowDays)))
                GROUP BY p.id, p.slug, p.title, p.price_cents, p.currency
                ORDER BY units DESC, p.id
                LIMIT \(limit)
                """
            )
            var products: [PopularProduct] = []
            for try await row in rows.decode((Int64, String, String, Int64, String, Int64).self) {
                products.append(
                    PopularProduct(id: row.0, slug: row.1, title: row.2, priceCents: row.3, currency: row.4, unitsSold: row.5)
                )
            }
            return products
        }
    }
}
