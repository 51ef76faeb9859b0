import Foundation
import Shared

/// ``PopularProductsRepository`` over a ``MemoryDatabase``.
public struct MemoryPopularProductsRepository: PopularProductsRepository {
    let database: MemoryDatabase

    public init(database: MemoryDatabase) { self.database = database }

    public func popular(_ tenant: TenantID, windowDays: Int, limit: Int) async throws -> [PopularProduct] {
        let since = Date().addingTimeInterval(-Double(windowDays) * 86_400)
        return try database.withTenant(tenant) { rows in
            var units: [Int64: Int64] = [:]
            for stored in rows.orders where stored.createdAt >= since {
                for line in stored.order.lines { units[line.productId, default: 0] += Int64(line.quantity) }
            }
            return rows.products
                .compactMap { product in
                    units[product.id].map {
                        PopularProduct(
                            id: product.id,
                            slug: product.slug,
                            title: product.title,
                            priceCents: product.priceCents,
                            currency: product.currency,
                            unitsSold: $0
                        )
                    }
                }
                .sorted { ($0.unitsSold, -$0.id) > ($1.unitsSold, -$1.id) }
                .prefix(limit)
                .map { $0 }
        }
    }
}
