import Foundation
import PostgresNIO
import Shared

/// One page of a tenant's catalogue.
public struct ProductPageResult: Codable, Sendable, Equatable {
    public var products: [Product]
    public var page: Int
    public var perPage: Int
    public var total: Int
}

/// A product in the popular list, with the units sold in the window.
public struct PopularProduct: Codable, Sendable, Hashable {
    public var id: Int64
    public var slug: String
    public var title: String
    public var priceCents: Int64
    public var currency: String
    public var unitsSold: Int64
}

/// The popular list of one tenant, as cached.
public struct PopularProducts: Codable, Sendable, Equatable {
    public var tenant: String
    public var windowDays: Int
    public var products: [PopularProduct]
}

extension ProductRepository {
    /// A page of `tenant`'s products, ordered by id.
    public func list(_ tenant: TenantID, page: Int, perPage: Int) async throws -> ProductPageResult {
        let offset = (page - 1) * perPage
        return try await database.read(tenant) { connection in
            var products: [Product] = []
            let rows = try await connection.query(
                """
                SELECT id, slug, title, description, price_cents, currency, updated_at
                FROM products WHERE tenant_id = \(connection.tenant.rawValue)
                ORDER BY id LIMIT \(perPage) OFFSET \(offset)
                """
            )
            for try await row in rows.decode((Int64, String, String, String, Int64, String, Date).self) {
                products.append(
                    Product(id: row.0, slug: row.1, title: row.2, description: row.3, priceCents: row.4, currency: row.5, updatedAt: row.6)
                )
            }
            var total = 0
            for try await count in try await connection.query(
                "SELECT count(*)::int FROM products WHERE tenant_id = \(connection.tenant.rawValue)"
            ).decode(Int.self) {
                total = count
            }
            return ProductPageResult(products: products, page: page, perPage: perPage, total: total)
        }
    }
}

/// Popular products per tenant from its order lines over a window, cached for five minutes under the
/// tenant's own key (`tenant:<id>:popular:<days>d`) — the regression guard for the reference system's leak.
public struct PopularProductsService: Sendable {
    let database: TenantDatabase
    let cache: any OriginCache
    public var windowDays = 30
    public var limit = 10
    public var ttl: Duration = .seconds(300)

    public init(database: TenantDatabase, cache: any OriginCache) {
        self.database = database
        self.cache = cache
    }

    /// The tenant's popular products, from the cache or computed.
    public func popular(_ tenant: TenantID) async throws -> PopularProducts {
        let key = CacheKey(tenant: tenant, resource: "popular", id: "\(windowDays)d")
        if let cached = await cache.get(key), let decoded = try? JSONDecoder().decode(PopularProducts.self, from: Data(cached)),
            decoded.tenant == tenant.rawValue
        {
            return decoded
        }
        let fresh = try await compute(tenant)
        await cache.set(key, Array(try JSONEncoder().encode(fresh)), ttl: ttl)
        return fresh
    }

    private func compute(_ tenant: TenantID) async throws -> PopularProducts {
        let (windowDays, limit) = (self.windowDays, self.limit)
        let products = try await database.read(tenant) { connection in
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
        return PopularProducts(tenant: tenant.rawValue, windowDays: windowDays, products: products)
    }
}
