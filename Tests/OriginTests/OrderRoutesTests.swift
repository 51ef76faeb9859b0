import Foundation
import HTTPTypes
import HummingbirdTesting
import Shared
import Testing

@testable import Origin

/// `POST /api/orders` on memory repositories: validated, idempotent, all or nothing.
@Suite struct OrderRoutesTests {
    /// How many orders the tenant has.
    func orders(_ origin: MemoryOrigin, _ shop: Storefront) async throws -> Int {
        try await TenantScope.withTenant(shop.tenantID) {
            try origin.database.withTenant(shop.tenantID) { $0.orders.count }
        }
    }

    /// An order is priced from the catalogue, answered 201, and soft-purges the tenant's catalogue.
    @Test func placesAnOrder() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Order Shop")
        try await origin.test { client in
            let response = try await client.send(
                .post,
                "/api/orders",
                host: shop.domain.rawValue,
                body: #"{"lines":[{"slug":"product-1","quantity":2},{"slug":"product-2","quantity":1}]}"#
            )
            #expect(response.status == .created)
            #expect(response.headers[.cacheControl] == "no-store")
            let order = try JSONDecoder().decode(Order.self, from: Data(buffer: response.body))
            #expect(order.lines.map(\.slug) == ["product-1", "product-2"])
            #expect(order.totalCents == 2 * 1000 + 2000)
            #expect(order.currency == "EUR")
            #expect(order.status == "placed")
            let purge = try #require(origin.events.purges.first)
            #expect(origin.events.purges.count == 1)
            #expect(purge.tenant == shop.tenantID && purge.soft)
            #expect(purge.tags == [SurrogateKey.catalogue(shop.tenantID).rawValue])
            #expect(try await orders(origin, shop) == 1)
        }
    }

    /// The same Idempotency-Key gives the same order (200 on replay); reused for another order it is a 409.
    @Test func idempotencyKey() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Idem Shop")
        try await origin.test { client in
            let body = #"{"lines":[{"slug":"product-3","quantity":1}]}"#
            let key = [("Idempotency-Key", "checkout-42")]
            let first = try await client.send(.post, "/api/orders", host: shop.domain.rawValue, headers: key, body: body)
            #expect(first.status == .created)
            let replay = try await client.send(.post, "/api/orders", host: shop.domain.rawValue, headers: key, body: body)
            #expect(replay.status == .ok)
            #expect(
                try JSONDecoder().decode(Order.self, from: Data(buffer: replay.body))
                    == JSONDecoder().decode(Order.self, from: Data(buffer: first.body))
            )
            let reused = try await client.send(
                .post,
                "/api/orders",
                host: shop.domain.rawValue,
                headers: key,
                body: #"{"lines":[{"slug":"product-1","quantity":1}]}"#
            )
            #expect(reused.status == .conflict)
            #expect(reused.text.contains("idempotency key already used"))
            #expect(origin.events.purges.count == 1, "only the first placement purges")
            #expect(try await orders(origin, shop) == 1)
        }
    }

    /// The same key in another tenant is another tenant's order.
    @Test func idempotencyKeysArePerTenant() async throws {
        let origin = MemoryOrigin()
        let a = try await origin.addTenant("Key A")
        let b = try await origin.addTenant("Key B")
        try await origin.test { client in
            let key = [("Idempotency-Key", "same-key")]
            let body = #"{"lines":[{"slug":"product-1","quantity":1}]}"#
            let inA = try await client.send(.post, "/api/orders", host: a.domain.rawValue, headers: key, body: body)
            let inB = try await client.send(.post, "/api/orders", host: b.domain.rawValue, headers: key, body: body)
            #expect(inA.status == .created)
            #expect(inB.status == .created)
            #expect(try JSONDecoder().decode(Order.self, from: Data(buffer: inB.body)).lines.first?.slug == "product-1")
        }
    }

    @Test(arguments: [
        (#"{"lines":[{"slug":"product-1","quantity":1},{"slug":"nope","quantity":1}]}"#, 422, "unknown product 'nope'"),
        (#"{"lines":[{"slug":"product-1","quantity":0}]}"#, 422, "lines.0.quantity must be 1 to 100"),
        (#"{"lines":[{"slug":"product-1","quantity":1},{"slug":"product-1","quantity":2}]}"#, 422, "each product appears once"),
        (#"{"lines":[]}"#, 422, "an order has 1 to 50 lines"),
        (#"{"lines":[{"slug":"product-1","quantity":1}],"coupon":"FREE"}"#, 400, "unknown field 'coupon'"),
        (#"{"lines":[{"slug":"product-1","quantity":1,"gift":true}]}"#, 400, "unknown field 'gift'"),
        (#"{"lines":[{"slug":"product-1","quantity":"1"}]}"#, 400, "wrong type"),
        (#"{"lines":[{"slug":"product-1""#, 400, "invalid JSON"),
        ("", 400, "invalid JSON"),
    ])
    /// Bad orders get a clear 4xx with a message and write nothing (not even the first valid line).
    func badOrdersWriteNothing(body: String, status: Int, message: String) async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Strict Shop", products: 2)
        try await origin.test { client in
            let response = try await client.send(.post, "/api/orders", host: shop.domain.rawValue, body: body)
            #expect(Int(response.status.code) == status)
            #expect(response.text.contains(message))
            #expect(try await orders(origin, shop) == 0)
            #expect(origin.events.purges.isEmpty)
        }
    }

    /// Products priced in different currencies cannot share an order.
    @Test func mixedCurrenciesAre422() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Two Currencies", products: 1)
        try await TenantScope.withTenant(shop.tenantID) {
            _ = try await origin.repositories.products.create(
                shop.tenantID,
                ProductDraft(slug: "dollar", title: "Dollar", priceCents: 1, currency: "USD")
            )
        }
        try await origin.test { client in
            let response = try await client.send(
                .post,
                "/api/orders",
                host: shop.domain.rawValue,
                body: #"{"lines":[{"slug":"product-1","quantity":1},{"slug":"dollar","quantity":1}]}"#
            )
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains("share one currency"))
        }
    }

    /// Oversized bodies, wrong media types and unusable idempotency keys are refused before anything is read.
    @Test func sizeMediaTypeAndKey() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Big Shop", products: 1)
        try await origin.test { client in
            let huge = #"{"lines":[{"slug":""# + String(repeating: "a", count: 70_000) + #"","quantity":1}]}"#
            let tooLarge = try await client.send(.post, "/api/orders", host: shop.domain.rawValue, body: huge)
            #expect(tooLarge.status == .contentTooLarge)
            let text = try await client.send(.post, "/api/orders", host: shop.domain.rawValue, headers: [("Content-Type", "text/plain")], body: "x")
            #expect(text.status == .unsupportedMediaType)
            let longKey = try await client.send(
                .post,
                "/api/orders",
                host: shop.domain.rawValue,
                headers: [("Idempotency-Key", String(repeating: "k", count: 201))],
                body: #"{"lines":[{"slug":"product-1","quantity":1}]}"#
            )
            #expect(longKey.status == .badRequest)
            #expect(try await orders(origin, shop) == 0)
        }
    }
}
