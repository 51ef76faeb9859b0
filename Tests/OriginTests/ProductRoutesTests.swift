import Foundation
import HTTPTypes
import HummingbirdTesting
import Shared
import Testing

@testable import Origin

/// Product pages and the product JSON API, on memory repositories.
@Suite struct ProductRoutesTests {
    /// A product page carries everything an edge needs: shared max-age, a strong ETag, purge tags, tenant stamp.
    @Test func productPageIsCacheableAndTagged() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Route Shop")
        try await origin.test { client in
            let response = try await client.send(.get, "/products/product-2", host: "WWW.\(shop.domain.rawValue.uppercased()):8443")
            #expect(response.status == .ok)
            #expect(response.text.contains("Route Shop item 2"))
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[.cacheControl] == "public, max-age=30, s-maxage=300")
            let etag = try #require(response.headers[.eTag])
            #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
            #expect(response.headers[.storefrontTenant] == shop.tenantID.rawValue)
            let product = try await productID(origin, shop, "product-2")
            #expect(response.headers[.surrogateKey] == "tenant:\(shop.tenantID.rawValue) tenant:\(shop.tenantID.rawValue):product:\(product)")

            let revalidated = try await client.send(.get, "/products/product-2", host: shop.domain.rawValue, headers: [("If-None-Match", etag)])
            #expect(revalidated.status == .notModified)
            #expect(revalidated.body.readableBytes == 0)
            #expect(revalidated.headers[.eTag] == etag)
            let changed = try await client.send(.get, "/products/product-2", host: shop.domain.rawValue, headers: [("If-None-Match", "\"other\"")])
            #expect(changed.status == .ok)
        }
    }

    /// The JSON API returns the tenant's product, cacheable and tagged like the page.
    @Test func productJSON() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Json Shop")
        try await origin.test { client in
            let response = try await client.send(.get, "/api/products/product-3", host: shop.domain.rawValue)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let product = try JSONDecoder.iso.decode(Product.self, from: Data(buffer: response.body))
            #expect(product.title == "Json Shop item 3")
            #expect(product.priceCents == 3000)
            #expect(response.headers[.surrogateKey]?.contains("tenant:\(shop.tenantID.rawValue):product:\(product.id)") == true)
            #expect(response.headers[.storefrontTenant] == shop.tenantID.rawValue)
            let etag = try #require(response.headers[.eTag])
            let revalidated = try await client.send(.get, "/api/products/product-3", host: shop.domain.rawValue, headers: [("If-None-Match", etag)])
            #expect(revalidated.status == .notModified)
        }
    }

    /// Unknown or malformed slugs are 404 with a JSON message, never a server error.
    @Test(arguments: [
        "/products/does-not-exist", "/products/UPPER", "/products/%27%3B--", "/api/products/nope",
        "/api/products/" + String(repeating: "a", count: 300),
    ])
    func unknownProductIs404(path: String) async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Slug Shop", products: 1)
        try await origin.test { client in
            let response = try await client.send(.get, path, host: shop.domain.rawValue)
            #expect(response.status == .notFound)
            #expect(response.text.contains("no such product"))
        }
    }

    /// Each tenant sees its own product under a slug both use.
    @Test func sameSlugEachTenantsOwnProduct() async throws {
        let origin = MemoryOrigin()
        let a = try await origin.addTenant("Shop A", products: 1)
        let b = try await origin.addTenant("Shop B", products: 1)
        try await origin.test { client in
            let fromA = try await client.send(.get, "/api/products/product-1", host: a.domain.rawValue)
            let fromB = try await client.send(.get, "/api/products/product-1", host: b.domain.rawValue)
            #expect(fromA.text.contains("Shop A item 1") && !fromA.text.contains("Shop B"))
            #expect(fromB.text.contains("Shop B item 1") && !fromB.text.contains("Shop A"))
        }
    }

    /// An unknown host gets 404 and a body that names no tenant.
    @Test func unknownHostIs404WithoutTenantData() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Secret Shop")
        try await origin.test { client in
            for path in ["/products/product-1", "/api/products", "/api/storefront", "/api/popular"] {
                let response = try await client.send(.get, path, host: "nobody-\(shop.tenantID.rawValue).test")
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.text.contains("Secret Shop"))
                #expect(!response.text.contains(shop.tenantID.rawValue))
                #expect(response.headers[.storefrontTenant] == nil)
            }
        }
    }

    /// The edge's tenant claim must match the origin's own resolution.
    @Test func conflictingEdgeTenantHeaderIsRefused() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Claimed Shop")
        let other = try await origin.addTenant("Other Shop")
        try await origin.test { client in
            let refused = try await client.send(
                .get,
                "/products/product-1",
                host: shop.domain.rawValue,
                headers: [(StorefrontHeader.tenant, other.tenantID.rawValue)]
            )
            #expect(refused.status == .misdirectedRequest)
            #expect(!refused.text.contains("Claimed Shop") && !refused.text.contains("Other Shop"))
            let agreed = try await client.send(
                .get,
                "/products/product-1",
                host: shop.domain.rawValue,
                headers: [(StorefrontHeader.tenant, shop.tenantID.rawValue)]
            )
            #expect(agreed.status == .ok)
        }
    }

    func productID(_ origin: MemoryOrigin, _ shop: Storefront, _ slug: String) async throws -> Int64 {
        try await TenantScope.withTenant(shop.tenantID) {
            try #require(try await origin.repositories.products.product(shop.tenantID, slug: slug)).id
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
