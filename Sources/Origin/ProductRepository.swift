import Foundation
import PostgresNIO
import Shared

/// A product as pages and the JSON API show it.
public struct Product: Codable, Sendable, Equatable {
    public var id: Int64
    public var slug: String
    public var title: String
    public var description: String
    public var priceCents: Int64
    public var currency: String
    public var updatedAt: Date
}

/// Catalogue queries. Every method takes the tenant; every query filters by it.
public struct ProductRepository: Sendable {
    let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    /// The product with `slug` in `tenant`'s catalogue, read from the replica.
    public func product(_ tenant: TenantID, slug: String) async throws -> Product? {
        try await database.read(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT id, slug, title, description, price_cents, currency, updated_at
                FROM products WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug)
                """
            )
            for try await row in rows.decode((Int64, String, String, String, Int64, String, Date).self) {
                return Product(
                    id: row.0, slug: row.1, title: row.2, description: row.3, priceCents: row.4, currency: row.5,
                    updatedAt: row.6
                )
            }
            return nil
        }
    }
}
