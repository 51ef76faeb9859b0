import EdgeGateway
import Foundation
import NIOCore
import NIOPosix
import Origin
import Shared
import TestSupport
import Testing

@Suite struct CatalogueTests {
    /// Pages of the catalogue, and a clear 400 for a page out of range.
    @Test func productListPages() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Pages")
            try await db.createTenant(spec, products: 5)
            try await withRunningOrigin { port in
                let page = try await PlainHTTP.send(.GET, "/api/products?page=2&perPage=2", host: spec.domain.rawValue, port: port)
                #expect(page.head.status == .ok)
                let result = try JSONDecoder.iso.decode(ProductPageResult.self, from: Data(page.body.readableBytesView))
                #expect(result.total == 5)
                #expect(result.products.map(\.slug) == ["product-3", "product-4"])
                let bad = try await PlainHTTP.send(.GET, "/api/products?perPage=1000", host: spec.domain.rawValue, port: port)
                #expect(bad.head.status == .badRequest)
                let html = try await PlainHTTP.send(.GET, "/products?page=2&perPage=2", host: spec.domain.rawValue, port: port)
                #expect(html.head.status == .ok)
                #expect(html.text.contains(#"<a href="/products/product-3">Pages item 3</a>"#))
                #expect(html.text.contains("page 2 of 3"))
                #expect(!html.text.contains("product-1\""))
            }
        }
    }

    /// Storefront settings are served as JSON and used by the product page (menu, localised copy).
    @Test func storefrontSettingsDrivePages() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Settings Shop")
            try await db.createTenant(spec, products: 1)
            let settings =
                #"{"navigation":[{"label":"Sale","href":"/sale"}],"copy":{"en":{"addToCart":"Buy now"},"de":{"addToCart":"Kaufen"}},"defaultLocale":"en","assistantTools":["search_products"],"edge":{"cookieAllowList":["consent"],"budgetShare":2}}"#
            try await db.owner.query("UPDATE storefronts SET settings = \(settings)::jsonb WHERE domain = \(spec.domain.rawValue)")
            try await db.waitForReplica()
            try await withRunningOriginListeners { listeners in
                let port = listeners.storefront
                let json = try await PlainHTTP.send(.GET, "/api/storefront", host: spec.domain.rawValue, port: port)
                #expect(json.text.contains(#""assistantTools":["search_products"]"#))
                #expect(json.text.contains("Settings Shop"))
                let english = try await PlainHTTP.send(.GET, "/products/product-1", host: spec.domain.rawValue, port: port)
                #expect(english.text.contains(#"<a href="/sale">Sale</a>"#))
                #expect(english.text.contains("Buy now"))
                let german = try await PlainHTTP.send(.GET, "/products/product-1?locale=de", host: spec.domain.rawValue, port: port)
                #expect(german.text.contains("Kaufen"))
                #expect(german.text.contains(#"<html lang="de">"#))
                // Edges learn the tenant's cache settings with the tenant list.
                let tenants = try await PlainHTTP.send(
                    .GET,
                    "/internal/tenants",
                    host: "origin.internal",
                    port: listeners.internal,
                    headers: [(StorefrontHeader.internalToken, "test-internal-token")]
                )
                let list = try JSONDecoder().decode(TenantList.self, from: Data(tenants.body.readableBytesView))
                let entry = list.tenants.first { $0.tenantID == spec.id }
                #expect(entry?.edge == TenantEdgeSettings(cookieAllowList: ["consent"], budgetShare: 2))
            }
        }
    }

    /// With Redis gone, popular products are still served, straight from PostgreSQL.
    @Test func popularWithoutRedis() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "No Redis")
            try await db.createTenant(spec, products: 5, orders: 10)
            let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            let deadPort = probe.localAddress!.port!
            try await probe.close()
            var configuration = TestEnvironment.originConfiguration()
            configuration.redis.port = deadPort
            try await withRunningOrigin(configuration: configuration) { port in
                for _ in 0..<3 {
                    let response = try await PlainHTTP.send(.GET, "/api/popular", host: spec.domain.rawValue, port: port)
                    #expect(response.head.status == .ok)
                    let popular = try JSONDecoder().decode(PopularProducts.self, from: Data(response.body.readableBytesView))
                    #expect(popular.tenant == spec.id.rawValue)
                    #expect(!popular.products.isEmpty)
                }
            }
        }
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
