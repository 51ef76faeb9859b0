import HTTPTypes
import Hummingbird
import Shared

/// `POST /api/orders`: validated, idempotent by `Idempotency-Key`, written in one transaction.
enum OrderRoutes {
    static let maximumBodySize = 64 * 1024

    static func add(to group: RouterGroup<TenantRequestContext>, services: OriginServices) {
        group.post("/api/orders") { request, context -> Response in
            let order = try await StrictJSON.decode(OrderRequest.self, from: request, limit: maximumBodySize)
            if let problem = order.validationError() { throw HTTPError(.unprocessableContent, message: problem) }
            let key = request.headers[.idempotencyKey]
            if let key, key.isEmpty || key.utf8.count > 200 {
                throw HTTPError(.badRequest, message: "Idempotency-Key must be 1 to 200 characters")
            }
            switch try await services.orders.place(context.tenant, request: order, idempotencyKey: key) {
            case .created(let placed):
                await services.events.purge(PurgeEvent(tenant: context.tenant, tags: [.catalogue(context.tenant)], soft: true))
                return try Responses.json(placed, status: .created)
            case .replayed(let placed):
                return try Responses.json(placed, status: .ok)
            case .rejected(let rejection):
                throw httpError(rejection)
            }
        }
    }

    /// The 4xx for an order that was not placed.
    static func httpError(_ rejection: OrderRejection) -> HTTPError {
        switch rejection {
        case .idempotencyKeyReused: HTTPError(.conflict, message: "idempotency key already used for a different order")
        case .unknownProduct(let slug): HTTPError(.unprocessableContent, message: "unknown product '\(slug)'")
        case .mixedCurrencies: HTTPError(.unprocessableContent, message: "all products of an order must share one currency")
        }
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
