import Shared

/// The best sellers of a tenant, computed from its orders (``PopularProductsService`` caches them).
///
/// Must run inside the tenant's ``TenantScope``; sees only that tenant's orders and products.
public protocol PopularProductsRepository: Sendable {
    /// The tenant's products by units ordered in the last `windowDays` days, most first (ties by id), at
    /// most `limit`.
    func popular(_ tenant: TenantID, windowDays: Int, limit: Int) async throws -> [PopularProduct]
}
