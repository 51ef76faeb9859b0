import Foundation
import Shared

/// ``OrderRepository`` over a ``MemoryDatabase``: one lock around the placement stands for the transaction.
public struct MemoryOrderRepository: OrderRepository {
    let database: MemoryDatabase

    public init(database: MemoryDatabase) { self.database = database }

    public func place(_ tenant: TenantID, request: OrderRequest, idempotencyKey: String?) async throws -> OrderPlacement {
        try database.withTenant(tenant) { rows in
            if let idempotencyKey, let existing = rows.orders.first(where: { $0.idempotencyKey == idempotencyKey }) {
                guard existing.fingerprint == request.fingerprint else { return .rejected(.idempotencyKeyReused) }
                return .replayed(existing.order)
            }
            var lines: [Order.Line] = []
            var currencies: Set<String> = []
            for line in request.lines {
                guard let product = rows.products.first(where: { $0.slug == line.slug }) else {
                    return .rejected(.unknownProduct(slug: line.slug))
                }
                lines.append(Order.Line(productId: product.id, slug: product.slug, quantity: line.quantity, unitPriceCents: product.priceCents))
                currencies.insert(product.currency)
            }
            guard currencies.count == 1, let currency = currencies.first else { return .rejected(.mixedCurrencies) }
            let total = lines.reduce(Int64(0)) { $0 + $1.unitPriceCents * Int64($1.quantity) }
            let order = Order(id: database.nextID(), status: "placed", totalCents: total, currency: currency, lines: lines)
            rows.orders.append(
                MemoryDatabase.StoredOrder(order: order, idempotencyKey: idempotencyKey, fingerprint: request.fingerprint, createdAt: Date())
            )
            return .created(order)
        }
    }
}
