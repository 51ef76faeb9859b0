import Foundation
import HTTPTypes
import HummingbirdTesting
import Shared
import Testing

@testable import Origin

/// Catalogue pages, storefront settings and popular products, on memory repositories.
@Suite struct CatalogueRoutesTests {
    /// Pages of the catalogue, as JSON and as HTML.
    @Test func productListPages() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Pages", products: 5)
        try await origin.test { client in
            let page = try await client.send(.get, "/api/products?page=2&perPage=2", host: shop.domain.rawValue)
            #expect(page.status == .ok)
            #expect(page.headers[.surrogateKey] == "tenant:\(shop.tenantID.rawValue) tenant:\(shop.tenantID.rawValue):catalogue")
            let result = try JSONDecoder.iso.decode(ProductPageResult.self, from: Data(buffer: page.body))
            #expect(result.total == 5)
            #expect(result.page == 2 && result.perPage == 2)
            #expect(result.products.map(\.slug) == ["product-3", "product-4"])
            let defaults = try await client.send(.get, "/api/products", host: shop.domain.rawValue)
            let all = try JSONDecoder.iso.decode(ProductPageResult.self, from: Data(buffer: defaults.body))
            #expect(all.perPage == 24 && all.products.count == 5)
            let html = try await client.send(.get, "/products?page=2&perPage=2", host: shop.domain.rawValue)
            #expect(html.status == .ok)
            #expect(html.text.contains(#"<a href="/products/product-3">Pages item 3</a>"#))
            #expect(html.text.contains("page 2 of 3"))
            #expect(!html.text.contains("product-1\""))
        }
    }

    /// Page numbers out of range or not numbers are a 400 with a message naming the parameter.
    @Test(arguments: [
        ("perPage=1000", "perPage must be 1 to 100"),
        ("perPage=0", "perPage must be 1 to 100"),
        ("page=0", "page must be 1 to 10000"),
        ("page=10001", "page must be 1 to 10000"),
        ("page=two", "page must be 1 to 10000"),
        ("page=-1", "page must be 1 to 10000"),
    ])
    func badPageNumbersAre400(query: String, message: String) async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Strict Pages")
        try await origin.test { client in
            for path in ["/api/products?\(query)", "/products?\(query)"] {
                let response = try await client.send(.get, path, host: shop.domain.rawValue)
                #expect(response.status == .badRequest, "\(path)")
                #expect(response.text.contains(message), "\(path)")
            }
        }
    }

    /// Storefront settings are served as JSON and drive the product page (menu, localised copy).
    @Test func storefrontSettingsDrivePages() async throws {
        let origin = MemoryOrigin()
        let tenant = TenantID("settings-shop")!
        let settings = StorefrontSettings(
            navigation: [.init(label: "Sale", href: "/sale")],
            copy: ["en": ["addToCart": "Buy now"], "de": ["addToCart": "Kaufen"]],
            assistantTools: ["search_products"]
        )
        let storefront = Storefront(
            domain: HostName(normalising: "settings.test")!,
            tenantID: tenant,
            theme: Theme(name: "Settings Shop"),
            settings: settings
        )
        #expect(try await origin.repositories.admin.createTenant(name: "Settings Shop", storefront: storefront) == .created)
        try await TenantScope.withTenant(tenant) {
            _ = try await origin.repositories.products.create(tenant, ProductDraft(slug: "product-1", title: "Mug", priceCents: 900, currency: "EUR"))
        }
        try await origin.test { client in
            let json = try await client.send(.get, "/api/storefront", host: "settings.test")
            #expect(json.status == .ok)
            #expect(json.text.contains(#""assistantTools":["search_products"]"#))
            #expect(json.text.contains("Settings Shop"))
            let english = try await client.send(.get, "/products/product-1", host: "settings.test")
            #expect(english.text.contains(#"<a href="/sale">Sale</a>"#))
            #expect(english.text.contains("Buy now"))
            let german = try await client.send(.get, "/products/product-1?locale=de", host: "settings.test")
            #expect(german.text.contains("Kaufen"))
            #expect(german.text.contains(#"<html lang="de">"#))
        }
    }

    /// Popular products count units ordered in the tenant's own orders only, and are cached under its key.
    @Test func popularIsPerTenantAndCached() async throws {
        let origin = MemoryOrigin()
        let a = try await origin.addTenant("Popular A", products: 3)
        let b = try await origin.addTenant("Popular B", products: 3)
        try await origin.test { client in
            let orders = [
                (a, #"{"lines":[{"slug":"product-2","quantity":5},{"slug":"product-1","quantity":1}]}"#),
                (b, #"{"lines":[{"slug":"product-3","quantity":9}]}"#),
            ]
            for (shop, body) in orders {
                let placed = try await client.send(.post, "/api/orders", host: shop.domain.rawValue, body: body)
                #expect(placed.status == .created)
            }
            let response = try await client.send(.get, "/api/popular", host: a.domain.rawValue)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "public, max-age=0, s-maxage=60")
            let popular = try JSONDecoder().decode(PopularProducts.self, from: Data(buffer: response.body))
            #expect(popular.tenant == a.tenantID.rawValue)
            #expect(popular.products.map(\.slug) == ["product-2", "product-1"])
            #expect(popular.products.map(\.unitsSold) == [5, 1])
            #expect(popular.products.allSatisfy { $0.title.hasPrefix("Popular A") })
            #expect(origin.cache.keys.map(\.rawValue) == ["tenant:\(a.tenantID.rawValue):popular:30d"])
        }
    }

    /// The internal tenant directory needs the internal token and lists every storefront.
    @Test func internalTenantsNeedsToken() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Listed Shop", products: 0)
        try await origin.test { client in
            let denied = try await client.send(.get, "/internal/tenants", host: MemoryOrigin.internalHost)
            #expect(denied.status == .unauthorized)
            let wrong = try await client.send(
                .get,
                "/internal/tenants",
                host: MemoryOrigin.internalHost,
                headers: [(StorefrontHeader.internalToken, "nope")]
            )
            #expect(wrong.status == .unauthorized)
            let listed = try await client.send(
                .get,
                "/internal/tenants",
                host: MemoryOrigin.internalHost,
                headers: [(StorefrontHeader.internalToken, MemoryOrigin.internalToken)]
            )
            #expect(listed.status == .ok)
            let list = try JSONDecoder().decode(Listed.self, from: Data(buffer: listed.body))
            #expect(list.tenants == [TenantDirectoryEntry(domain: shop.domain, tenantID: shop.tenantID)])
        }
    }

    /// `GET /internal/tenants` as an edge reads it.
    struct Listed: Decodable {
        var tenants: [TenantDirectoryEntry]
    }
}
