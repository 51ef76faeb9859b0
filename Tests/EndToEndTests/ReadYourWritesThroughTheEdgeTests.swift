import EdgeGateway
import Foundation
import Origin
import Shared
import TestSupport
import Testing

/// Read-your-writes across two origins behind one edge: the write's position reaches the browser through the
/// edge and comes back on the next requests, which pass the edge cache.
@Suite struct ReadYourWritesThroughTheEdgeTests {
    /// A tenant admin renames a product through the edge: the response sets `sf_wal`; the next reads carry it,
    /// pass the cached page (`X-Cache: PASS`) and show the new title from whichever origin serves them.
    @Test func writePositionCookieRoundTripsThroughTheEdge() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Edge Writer")
            try await db.createTenant(spec, products: 1)
            let domain = spec.domain.rawValue
            let certificates = try await TestCertificates(domains: [domain])
            defer { certificates.remove() }
            let client = try HTTPSTestClient(caPath: certificates.caPath)
            try await withRunningOriginListeners { listenersA in
                let originA = listenersA.storefront
                try await withRunningOrigin { originB in
                    let login = try await tenantAdminLogin(spec, db: db, internalPort: listenersA.internal)
                    try await withRunningEdge(
                        tenants: [TenantDirectoryEntry(domain: spec.domain, tenantID: spec.id)],
                        certificates: certificates,
                        origins: [originA, originB].map { HTTPEndpoint(host: "127.0.0.1", port: $0) }
                    ) { _, ports, _ in
                        let path = "/api/products/product-1"
                        _ = try await client.request(path, port: ports.https, serverName: domain)
                        let cached = try await client.request(path, port: ports.https, serverName: domain)
                        #expect(cached.head.headers["x-cache"].first == "HIT")

                        let renamed = try await client.request(
                            "/admin/products/product-1",
                            port: ports.https,
                            serverName: domain,
                            method: .PUT,
                            headers: [("authorization", login)],
                            body: #"{"title":"Renamed at the edge"}"#
                        )
                        #expect(renamed.head.status == .ok)
                        let setCookie = renamed.head.headers["set-cookie"].first ?? ""
                        #expect(setCookie.hasPrefix("sf_wal=") && setCookie.hasSuffix("; Secure"), "\(setCookie)")
                        let cookie = String(setCookie.prefix(while: { $0 != ";" }))
                        // Round-robin: both origins serve some of these.
                        for _ in 0..<4 {
                            let page = try await client.request(path, port: ports.https, serverName: domain, headers: [("cookie", cookie)])
                            #expect(page.head.headers["x-cache"].first == "PASS")
                            #expect(page.text.contains("Renamed at the edge"))
                        }
                    }
                }
            }
        }
    }
}
