import EdgeGateway
import Foundation
import Origin
import PostgresNIO
import Shared
import TestSupport
import Testing

/// `POST /api/orders` on the real primary: validated, idempotent, all or nothing.
@Suite struct OrderTests {
    func orderCount(_ db: TestDatabase, _ tenant: TenantID) async throws -> Int {
        try await db.owner.query("SELECT count(*)::int FROM orders WHERE tenant_id = \(tenant.rawValue)").decode(Int.self).collect().first ?? -1
    }

    func lineCount(_ db: TestDatabase, _ tenant: TenantID) async throws -> Int {
        try await db.owner.query("SELECT count(*)::int FROM order_lines WHERE tenant_id = \(tenant.rawValue)").decode(Int.self).collect().first ?? -1
    }

    /// An order is priced from the catalogue and written with its lines.
    @Test func placesAnOrder() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Order Shop")
            try await db.createTenant(spec, products: 3)
            try await withRunningOrigin { port in
                let response = try await PlainHTTP.send(
                    .POST,
                    "/api/orders",
                    host: spec.domain.rawValue,
                    port: port,
                    body: #"{"lines":[{"slug":"product-1","quantity":2},{"slug":"product-2","quantity":1}]}"#
                )
                #expect(response.head.status == .created)
                let order = try JSONDecoder().decode(Order.self, from: Data(response.body.readableBytesView))
                #expect(order.lines.map(\.slug) == ["product-1", "product-2"])
                #expect(order.totalCents == order.lines.reduce(0) { $0 + $1.unitPriceCents * Int64($1.quantity) })
                #expect(try await orderCount(db, spec.id) == 1)
                #expect(try await lineCount(db, spec.id) == 2)
            }
        }
    }

    /// The same Idempotency-Key gives the same order once; reused for another order it is a conflict.
    @Test func idempotencyKey() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Idem Shop")
            try await db.createTenant(spec, products: 3)
            try await withRunningOrigin { port in
                let body = #"{"lines":[{"slug":"product-3","quantity":1}]}"#
                let key = [("idempotency-key", "checkout-42")]
                // Concurrent retries of one checkout: one order.
                let responses = try await withThrowingTaskGroup(of: HTTPClientResponse.self) { group in
                    for _ in 0..<5 {
                        group.addTask {
                            try await PlainHTTP.send(.POST, "/api/orders", host: spec.domain.rawValue, port: port, headers: key, body: body)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let ids = Set(try responses.map { try JSONDecoder().decode(Order.self, from: Data($0.body.readableBytesView)).id })
                #expect(ids.count == 1)
                #expect(responses.filter { $0.head.status == .created }.count == 1)
                #expect(responses.filter { $0.head.status == .ok }.count == 4)
                let reused = try await PlainHTTP.send(
                    .POST,
                    "/api/orders",
                    host: spec.domain.rawValue,
                    port: port,
                    headers: key,
                    body: #"{"lines":[{"slug":"product-1","quantity":1}]}"#
                )
                #expect(reused.head.status == .conflict)
                #expect(try await orderCount(db, spec.id) == 1)
            }
        }
    }

    @Test(arguments: [
        (#"{"lines":[{"slug":"product-1","quantity":1},{"slug":"nope","quantity":1}]}"#, 422),
        (#"{"lines":[{"slug":"product-1","quantity":0}]}"#, 422),
        (#"{"lines":[]}"#, 422),
        (#"{"lines":[{"slug":"product-1","quantity":1}],"coupon":"FREE"}"#, 400),
        (#"{"lines":[{"slug":"product-1","quantity":"1"}]}"#, 400),
        (#"{"lines":[{"slug":"product-1""#, 400),
        ("", 400),
    ])
    /// Bad orders get a clear 4xx and write nothing (not even the first valid line).
    func badOrdersWriteNothing(body: String, status: Int) async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Strict Shop")
            try await db.createTenant(spec, products: 2)
            try await withRunningOrigin { port in
                let response = try await PlainHTTP.send(.POST, "/api/orders", host: spec.domain.rawValue, port: port, body: body)
                #expect(Int(response.head.status.code) == status)
                #expect(response.text.contains("message"))
                #expect(try await orderCount(db, spec.id) == 0)
                #expect(try await lineCount(db, spec.id) == 0)
            }
        }
    }

    /// Oversized bodies and wrong media types are refused before decoding.
    @Test func sizeAndMediaType() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Big Shop")
            try await db.createTenant(spec, products: 1)
            try await withRunningOrigin { port in
                let huge = #"{"lines":[{"slug":""# + String(repeating: "a", count: 70_000) + #"","quantity":1}]}"#
                let tooLarge = try await PlainHTTP.send(.POST, "/api/orders", host: spec.domain.rawValue, port: port, body: huge)
                #expect(tooLarge.head.status == .payloadTooLarge)
                let text = try await PlainHTTP.send(
                    .POST,
                    "/api/orders",
                    host: spec.domain.rawValue,
                    port: port,
                    headers: [("content-type", "text/plain")],
                    body: "x"
                )
                #expect(text.head.status == .unsupportedMediaType)
                #expect(try await orderCount(db, spec.id) == 0)
            }
        }
    }
}
