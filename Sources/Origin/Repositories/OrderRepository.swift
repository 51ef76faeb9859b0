import Shared

/// A tenant's orders.
///
/// Every method takes the tenant, sees only that tenant's rows, and must run inside that tenant's
/// ``TenantScope``.
public protocol OrderRepository: Sendable {
    /// Places an order: prices its lines from the tenant's catalogue and stores the order with its lines, or
    /// nothing at all. With an `idempotencyKey` already used for the same request, answers with that order.
    func place(_ tenant: TenantID, request: OrderRequest, idempotencyKey: String?) async throws -> OrderPlacement
}

/// The result of placing an order.
public enum OrderPlacement: Sendable, Equatable {
    /// A new order.
    case created(Order)
    /// The same request with the same idempotency key was placed before: that order.
    case replayed(Order)
    /// Nothing was written.
    case rejected(OrderRejection)
}

/// Why an order was not placed.
public enum OrderRejection: Error, Sendable, Equatable {
    /// The idempotency key was used before for a different request.
    case idempotencyKeyReused
    /// A line names a product the tenant does not sell.
    case unknownProduct(slug: String)
    /// The lines' products are priced in more than one currency.
    case mixedCurrencies
}
