import EdgeGateway
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Origin
import Shared
import TestSupport
import Testing

/// The origin over real HTTP, on the real primary + replica.
@Suite struct OriginRoutesTests {
    func get(_ path: String, host: String, port: Int, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        let client = try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "host", value: host)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return try await client.execute(
            head,
            to: HTTPEndpoint(host: "127.0.0.1", port: port),
            on: loop,
            deadline: .now() + .seconds(10)
        ).get()
    }

    /// A product page carries everything an edge needs: shared max-age, a strong ETag, purge tags, tenant stamp.
    @Test func productPageIsCacheableAndTagged() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Route Shop")
            try await db.createTenant(spec)
            try await withRunningOrigin { port in
                let response = try await get("/products/product-2", host: "WWW.\(spec.domain.rawValue.uppercased()):8443", port: port)
                #expect(response.head.status == .ok)
                #expect(response.text.contains("Route Shop item 2"))
                #expect(response.head.headers.first(name: "content-type") == "text/html; charset=utf-8")
                let cacheControl = response.head.headers.first(name: "cache-control") ?? ""
                #expect(cacheControl.contains("public") && cacheControl.contains("s-maxage="))
                let etag = try #require(response.head.headers.first(name: "etag"))
                #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
                #expect(response.head.headers.first(name: StorefrontHeader.tenant) == spec.id.rawValue)
                let tags = response.head.headers.first(name: StorefrontHeader.surrogateKey) ?? ""
                #expect(tags.contains("tenant:\(spec.id.rawValue)"))
                #expect(tags.contains("tenant:\(spec.id.rawValue):product:"))

                let revalidated = try await get("/products/product-2", host: spec.domain.rawValue, port: port, headers: [("if-none-match", etag)])
                #expect(revalidated.head.status == .notModified)
                #expect(revalidated.body.readableBytes == 0)
            }
        }
    }

    /// The JSON API returns the same product as JSON.
    @Test func productJSON() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Json Shop")
            try await db.createTenant(spec)
            try await withRunningOrigin { port in
                let response = try await get("/api/products/product-3", host: spec.domain.rawValue, port: port)
                #expect(response.head.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                #expect(object?["title"] as? String == "Json Shop item 3")
                #expect(object?["slug"] as? String == "product-3")
            }
        }
    }

    /// An unknown host gets 404 and a body that names no tenant.
    @Test func unknownHostIs404WithoutTenantData() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Secret Shop")
            try await db.createTenant(spec)
            try await withRunningOrigin { port in
                let response = try await get("/products/product-1", host: "nobody-\(spec.id.rawValue).test", port: port)
                #expect(response.head.status == .notFound)
                #expect(!response.text.contains("Secret Shop"))
                #expect(!response.text.contains(spec.id.rawValue))
                #expect(response.head.headers.first(name: StorefrontHeader.tenant) == nil)
            }
        }
    }

    /// The edge's tenant claim must match the origin's own resolution.
    @Test func conflictingEdgeTenantHeaderIsRefused() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Claimed Shop")
            try await db.createTenant(spec)
            try await withRunningOrigin { port in
                let response = try await get(
                    "/products/product-1",
                    host: spec.domain.rawValue,
                    port: port,
                    headers: [(StorefrontHeader.tenant, "someone-else")]
                )
                #expect(response.head.status == .misdirectedRequest)
                #expect(!response.text.contains("Claimed Shop"))
            }
        }
    }

    /// The internal tenant directory is on the internal listener, needs the token and lists storefronts.
    @Test func internalTenantsNeedsToken() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Listed Shop")
            try await db.createTenant(spec, products: 0)
            try await withRunningOriginListeners { listeners in
                let port = listeners.internal
                let denied = try await get("/internal/tenants", host: "127.0.0.1", port: port)
                #expect(denied.head.status == .unauthorized)
                let wrong = try await get("/internal/tenants", host: "127.0.0.1", port: port, headers: [(StorefrontHeader.internalToken, "nope")])
                #expect(wrong.head.status == .unauthorized)
                let listed = try await get(
                    "/internal/tenants",
                    host: "127.0.0.1",
                    port: port,
                    headers: [(StorefrontHeader.internalToken, "test-internal-token")]
                )
                #expect(listed.head.status == .ok)
                let list = try JSONDecoder().decode(TenantList.self, from: Data(listed.body.readableBytesView))
                #expect(list.tenants.contains(TenantDirectoryEntry(domain: spec.domain, tenantID: spec.id)))
            }
        }
    }

    /// The platform routes are not on the storefront listener (the one the edges forward to), whatever the
    /// Host and with the right tokens: before, `POST /admin/tenants` with the platform token sent to a
    /// storefront's public address created a tenant, and `/internal/tenants` listed every domain.
    @Test func platformRoutesAreNotOnTheStorefrontListener() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Public Shop")
            try await db.createTenant(spec, products: 0)
            let id = "sneaked-\(UInt32.random(in: 0..<UInt32.max))"
            try await withRunningOriginListeners { listeners in
                for host in [spec.domain.rawValue, "origin.internal", "127.0.0.1"] {
                    let listed = try await get(
                        "/internal/tenants",
                        host: host,
                        port: listeners.storefront,
                        headers: [(StorefrontHeader.internalToken, "test-internal-token")]
                    )
                    #expect(listed.head.status != .ok, "\(host)")
                    #expect(!listed.text.contains(spec.domain.rawValue), "\(host)")
                    let created = try await PlainHTTP.send(
                        .POST,
                        "/admin/tenants",
                        host: host,
                        port: listeners.storefront,
                        headers: [("authorization", "Bearer test-admin-token")],
                        body: #"{"id":"\#(id)","name":"Sneaked","domain":"\#(id).test"}"#
                    )
                    #expect(created.head.status != .created, "\(host)")
                }
                let rows = try await db.owner.query("SELECT count(*)::int FROM tenants WHERE id = \(id)").decode(Int.self).collect()
                #expect(rows == [0])
            }
        }
    }

    /// Unknown or malformed slugs are 404, never a server error.
    @Test(arguments: ["/products/does-not-exist", "/products/UPPER", "/products/%27%3B--", "/api/products/" + String(repeating: "a", count: 300)])
    func badSlugIs404(path: String) async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Slug Shop")
            try await db.createTenant(spec, products: 1)
            try await withRunningOrigin { port in
                let response = try await get(path, host: spec.domain.rawValue, port: port)
                #expect(response.head.status == .notFound)
            }
        }
    }
}
