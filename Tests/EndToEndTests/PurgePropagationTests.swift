import EdgeGateway
import Foundation
import Origin
import Shared
import TestSupport
import Testing

/// A product change at the origin leaves the edge's cache through a purge event, not after s-maxage.
@Suite struct PurgePropagationTests {
    @Test func productUpdatePurgesEdgeCache() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Purge Shop")
            try await db.createTenant(spec, products: 3)
            let certificates = try await TestCertificates(domains: [spec.domain.rawValue])
            defer { certificates.remove() }
            let client = try HTTPSTestClient(caPath: certificates.caPath)
            try await withRunningOriginListeners { origin in
                let initialised = try await PlainHTTP.send(
                    .POST,
                    "/admin/tenants/\(spec.id.rawValue)/init",
                    host: "origin.internal",
                    port: origin.internal,
                    headers: [("authorization", "Bearer test-admin-token")],
                    body: #"{"email":"ops@purge.test","password":"purge the edges now"}"#
                )
                #expect(initialised.head.status == .created)
                try await withRunningEdgeLearningFromOrigin(
                    origins: [HTTPEndpoint(host: "127.0.0.1", port: origin.storefront)],
                    internal: [HTTPEndpoint(host: "127.0.0.1", port: origin.internal)],
                    certificates: certificates
                ) { _, ports in
                    let domain = spec.domain.rawValue
                    _ = try await client.request("/products/product-2", port: ports.https, serverName: domain)
                    let cached = try await client.request("/products/product-2", port: ports.https, serverName: domain)
                    #expect(cached.head.headers.first(name: "x-cache") == "HIT")
                    let other = try await client.request("/products/product-3", port: ports.https, serverName: domain)
                    _ = other

                    let login = "Basic " + Data("ops@purge.test:purge the edges now".utf8).base64EncodedString()
                    let updated = try await PlainHTTP.send(
                        .PUT,
                        "/admin/products/product-2",
                        host: domain,
                        port: origin.storefront,
                        headers: [("authorization", login)],
                        body: #"{"priceCents":123456}"#
                    )
                    #expect(updated.head.status == .ok)

                    var fresh: HTTPClientResponse?
                    try await waitUntil("the edge to serve the new price (the purge within a second)", timeout: .seconds(1)) {
                        let response = try await client.request("/products/product-2", port: ports.https, serverName: domain)
                        if response.text.contains("1234.56 EUR") { fresh = response }
                        return fresh != nil
                    }
                    #expect(fresh?.head.headers.first(name: "x-cache") == "MISS", "the new price came from the origin, not a stale copy")
                    // The other product's page was not purged.
                    let untouched = try await client.request("/products/product-3", port: ports.https, serverName: domain)
                    #expect(untouched.head.headers.first(name: "x-cache") == "HIT")
                }
            }
        }
    }
}
