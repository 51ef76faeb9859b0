import EdgeGateway
import Foundation
import Origin
import RedisClient
import Shared
import TestSupport
import Testing

/// The reference system's worst incident as a regression test: a "popular products" cache must never show
/// one tenant's list to another, even when both tenants' first requests race.
@Suite struct PopularProductsTests {
    static func order(_ slug: String, quantity: Int, host: String, port: Int) async throws {
        let response = try await PlainHTTP.send(
            .POST,
            "/api/orders",
            host: host,
            port: port,
            body: #"{"lines":[{"slug":"\#(slug)","quantity":\#(quantity)}]}"#
        )
        #expect(response.head.status == .created)
    }

    /// Two tenants with different orders, concurrent first requests at both: two disjoint snapshots, each
    /// made only of its own tenant's products, cached under each tenant's own key.
    @Test func concurrentFirstRequestsGiveDisjointSnapshots() async throws {
        try await TestDatabase.with { db in
            let a = TestEnvironment.uniqueTenant(name: "Popular A")
            let b = TestEnvironment.uniqueTenant(name: "Popular B")
            try await db.createTenant(a, products: 6)
            try await db.createTenant(b, products: 6)
            try await withRunningOrigin { port in
                // A sells products 1-3, B sells products 4-6: different popularity, different product rows.
                for (slug, quantity) in [("product-1", 5), ("product-2", 3), ("product-3", 1)] {
                    try await Self.order(slug, quantity: quantity, host: a.domain.rawValue, port: port)
                }
                for (slug, quantity) in [("product-6", 4), ("product-5", 2), ("product-4", 1)] {
                    try await Self.order(slug, quantity: quantity, host: b.domain.rawValue, port: port)
                }
                let redis = RedisClient.forTests(port: TestEnvironment.redisPort)
                defer { Task { await redis.shutdown() } }
                for tenant in [a, b] { try await redis.send("DEL", "tenant:\(tenant.id.rawValue):popular:30d") }

                let snapshots = try await withThrowingTaskGroup(of: (String, PopularProducts).self) { group in
                    for index in 0..<40 {
                        let tenant = index % 2 == 0 ? a : b
                        group.addTask {
                            let response = try await PlainHTTP.send(.GET, "/api/popular", host: tenant.domain.rawValue, port: port)
                            return (tenant.id.rawValue, try JSONDecoder().decode(PopularProducts.self, from: Data(response.body.readableBytesView)))
                        }
                    }
                    return try await group.reduce(into: [String: [PopularProducts]]()) { $0[$1.0, default: []].append($1.1) }
                }
                let fromA = try #require(snapshots[a.id.rawValue])
                let fromB = try #require(snapshots[b.id.rawValue])
                #expect(fromA.count == 20 && fromB.count == 20)
                #expect(Set(fromA.map(\.products)).count == 1, "every A response is the same snapshot")
                #expect(Set(fromB.map(\.products)).count == 1, "every B response is the same snapshot")
                let idsA = Set(fromA[0].products.map(\.id))
                let idsB = Set(fromB[0].products.map(\.id))
                #expect(idsA.isDisjoint(with: idsB))
                #expect(fromA[0].products.map(\.slug) == ["product-1", "product-2", "product-3"])
                #expect(fromB[0].products.map(\.slug) == ["product-6", "product-5", "product-4"])
                #expect(fromA.allSatisfy { $0.tenant == a.id.rawValue && $0.products.allSatisfy { $0.title.hasPrefix("Popular A") } })
                #expect(fromB.allSatisfy { $0.tenant == b.id.rawValue && $0.products.allSatisfy { $0.title.hasPrefix("Popular B") } })

                // Each snapshot sits under its own tenant's key, with a five-minute lifetime.
                for tenant in [a, b] {
                    let ttl = try await redis.send("PTTL", "tenant:\(tenant.id.rawValue):popular:30d")
                    guard case .integer(let milliseconds) = ttl else {
                        Issue.record("no cached snapshot for \(tenant.id)")
                        continue
                    }
                    #expect((1...300_000).contains(milliseconds))
                }
            }
        }
    }
}
