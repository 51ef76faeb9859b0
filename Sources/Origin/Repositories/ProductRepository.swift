import Shared

/// A tenant's catalogue.
///
/// Every method takes the tenant, sees only that tenant's products, and must run inside that tenant's
/// ``TenantScope`` (the Postgres and memory implementations both refuse work outside it).
public protocol ProductRepository: Sendable {
    /// The product with `slug`, or `nil` when the tenant has none.
    func product(_ tenant: TenantID, slug: String) async throws -> Product?
    /// A page of the tenant's products, ordered by id, with the size of the whole catalogue.
    func list(_ tenant: TenantID, page: Int, perPage: Int) async throws -> ProductPageResult
    /// Adds a product. Returns `nil`, writing nothing, when the tenant already has one with the draft's slug.
    func create(_ tenant: TenantID, _ draft: ProductDraft) async throws -> Product?
    /// Applies `changes` to the product with `slug`; `nil` when there is no such product.
    func update(_ tenant: TenantID, slug: String, _ changes: ProductChanges) async throws -> Product?
    /// Removes the product with `slug`, unless orders refer to it.
    func delete(_ tenant: TenantID, slug: String) async throws -> ProductDeletion
}

/// What ``ProductRepository/delete(_:slug:)`` did.
public enum ProductDeletion: Sendable, Equatable {
    /// The product is gone; its id names its purge tag.
    case deleted(id: Int64)
    /// The tenant has no product with this slug.
    case notFound
    /// Orders refer to the product, so it stays.
    case hasOrders
}
