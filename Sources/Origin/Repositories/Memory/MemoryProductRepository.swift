import Foundation
import Shared

/// ``ProductRepository`` over a ``MemoryDatabase``: the same answers as PostgreSQL, one tenant's rows only.
public struct MemoryProductRepository: ProductRepository {
    let database: MemoryDatabase

    public init(database: MemoryDatabase) { self.database = database }

    public func product(_ tenant: TenantID, slug: String) async throws -> Product? {
        try database.withTenant(tenant) { rows in rows.products.first { $0.slug == slug } }
    }

    public func list(_ tenant: TenantID, page: Int, perPage: Int) async throws -> ProductPageResult {
        try database.withTenant(tenant) { rows in
            let products = rows.products.sorted { $0.id < $1.id }.dropFirst((page - 1) * perPage).prefix(perPage)
            return ProductPageResult(products: Array(products), page: page, perPage: perPage, total: rows.products.count)
        }
    }

    public func create(_ tenant: TenantID, _ draft: ProductDraft) async throws -> Product? {
        try database.withTenant(tenant) { rows in
            guard !rows.products.contains(where: { $0.slug == draft.slug }) else { return nil }
            let product = Product(
                id: database.nextID(),
                slug: draft.slug,
                title: draft.title,
                description: draft.description,
                priceCents: draft.priceCents,
                currency: draft.currency,
                updatedAt: Date()
            )
            rows.products.append(product)
            return product
        }
    }

    public func update(_ tenant: TenantID, slug: String, _ changes: ProductChanges) async throws -> Product? {
        try database.withTenant(tenant) { rows in
            guard let index = rows.products.firstIndex(where: { $0.slug == slug }) else { return nil }
            var product = rows.products[index]
            product.title = changes.title ?? product.title
            product.description = changes.description ?? product.description
            product.priceCents = changes.priceCents ?? product.priceCents
            product.currency = changes.currency ?? product.currency
            product.updatedAt = Date()
            rows.products[index] = product
            return product
        }
    }

    public func delete(_ tenant: TenantID, slug: String) async throws -> ProductDeletion {
        try database.withTenant(tenant) { rows in
            guard let index = rows.products.firstIndex(where: { $0.slug == slug }) else { return .notFound }
            let id = rows.products[index].id
            // order_lines refer to products (a foreign key in PostgreSQL).
            if rows.orders.contains(where: { $0.order.lines.contains { $0.productId == id } }) { return .hasOrders }
            rows.products.remove(at: index)
            return .deleted(id: id)
        }
    }
}
