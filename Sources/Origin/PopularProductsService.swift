import Foundation
import Shared

/// Popular products per tenant, cached for five minutes under the tenant's own key
/// (`tenant:<id>:popular:<days>d`) — the regression guard for the reference system's leak. A cache that
/// cannot answer costs a query, never an error.
public struct PopularProductsService: Sendable {
    let repository: any PopularProductsRepository
    let cache: any OriginCache
    public var windowDays = 30
    public var limit = 10
    public var ttl: Duration = .seconds(300)

    /// - Parameters:
    ///   - repository: computes the list from the tenant's orders.
    ///   - cache: where computed lists are kept.
    public init(repository: any PopularProductsRepository, cache: any OriginCache) {
        self.repository = repository
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
        let products = try await repository.popular(tenant, windowDays: windowDays, limit: limit)
        let fresh = PopularProducts(tenant: tenant.rawValue, windowDays: windowDays, products: products)
        await cache.set(key, Array(try JSONEncoder().encode(fresh)), ttl: ttl)
        return fresh
    }
}
