import EdgeGateway
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Origin
import Shared
import TestSupport
import Testing

/// Client → edge (TLS, SNI) → origin → Postgres primary/replica, two tenants.
@Suite struct TenantIsolationTests {
    /// Each tenant's domain gets its own certificate, chosen by SNI.
    @Test func eachTenantGetsItsOwnCertificate() async throws {
        try await Stack.with { stack in
            for spec in [stack.alpine, stack.harbor] {
                let presented = try await stack.client.peerCertificate(port: stack.httpsPort, serverName: spec.domain.rawValue)
                let issued = try Data(contentsOf: URL(fileURLWithPath: stack.certificates.certificatePath(for: spec.domain.rawValue)))
                let expected = try pemToDER(issued)
                #expect(presented == expected, "certificate for \(spec.domain)")
            }
            let alpineCertificate = try await stack.client.peerCertificate(port: stack.httpsPort, serverName: stack.alpine.domain.rawValue)
            let harborCertificate = try await stack.client.peerCertificate(port: stack.httpsPort, serverName: stack.harbor.domain.rawValue)
            #expect(alpineCertificate != harborCertificate)
        }
    }

    /// The same path gives each tenant its own page.
    @Test func samePathEachTenantsOwnBody() async throws {
        try await Stack.with { stack in
            let alpine = try await stack.client.request("/products/product-1", port: stack.httpsPort, serverName: stack.alpine.domain.rawValue)
            let harbor = try await stack.client.request("/products/product-1", port: stack.httpsPort, serverName: stack.harbor.domain.rawValue)
            #expect(alpine.head.status == .ok)
            #expect(harbor.head.status == .ok)
            #expect(alpine.text.contains("Alpine Outfitters item 1"))
            #expect(!alpine.text.contains("Harbor Coffee"))
            #expect(harbor.text.contains("Harbor Coffee item 1"))
            #expect(!harbor.text.contains("Alpine Outfitters"))
            // Internal headers stay between edge and origin.
            #expect(alpine.head.headers.first(name: StorefrontHeader.tenant) == nil)
            #expect(alpine.head.headers.first(name: StorefrontHeader.surrogateKey) == nil)
        }
    }

    /// A first request is a MISS, the second a HIT with the same body; the other tenant's first is still a MISS.
    @Test func missThenHitPerTenant() async throws {
        try await Stack.with { stack in
            let alpine = stack.alpine.domain.rawValue
            let first = try await stack.client.request("/products/product-2", port: stack.httpsPort, serverName: alpine)
            let second = try await stack.client.request("/products/product-2", port: stack.httpsPort, serverName: alpine)
            #expect(first.head.headers.first(name: "x-cache") == "MISS")
            #expect(second.head.headers.first(name: "x-cache") == "HIT")
            #expect(second.text == first.text)
            #expect(second.head.headers.first(name: "age") != nil)
            let other = try await stack.client.request("/products/product-2", port: stack.httpsPort, serverName: stack.harbor.domain.rawValue)
            #expect(other.head.headers.first(name: "x-cache") == "MISS")
            #expect(other.text.contains("Harbor Coffee item 2"))
        }
    }

    /// A Host that names no storefront gets 421 and never reaches the origin.
    @Test func unknownHostIs421() async throws {
        try await Stack.with { stack in
            let response = try await stack.client.request(
                "/products/product-1",
                port: stack.httpsPort,
                serverName: stack.alpine.domain.rawValue,
                host: "unknown-\(stack.alpine.id.rawValue).test"
            )
            #expect(response.head.status == .misdirectedRequest)
            #expect(!response.text.contains("Alpine"))
        }
    }

    /// SNI of one tenant with the Host of the other: 421, and not a byte of either tenant's page.
    @Test func sniHostMismatchIs421() async throws {
        try await Stack.with { stack in
            // Warm the other tenant's cache so a wrong lookup would have something to leak.
            _ = try await stack.client.request("/products/product-1", port: stack.httpsPort, serverName: stack.harbor.domain.rawValue)
            let response = try await stack.client.request(
                "/products/product-1",
                port: stack.httpsPort,
                serverName: stack.alpine.domain.rawValue,
                host: stack.harbor.domain.rawValue
            )
            #expect(response.head.status == .misdirectedRequest)
            #expect(!response.text.contains("Harbor"))
            #expect(!response.text.contains("Alpine"))
        }
    }

    /// A TLS handshake for a name no tenant owns is refused: no certificate at all, not some default one.
    @Test func unknownServerNameGetsNoCertificate() async throws {
        try await Stack.with { stack in
            await #expect(throws: (any Error).self) {
                _ = try await stack.client.peerCertificate(port: stack.httpsPort, serverName: "unknown-\(stack.alpine.id.rawValue).test")
            }
        }
    }

    /// A product written on the primary is served through the edge, read from the replica.
    @Test func writeOnPrimaryServedThroughReplica() async throws {
        try await Stack.with { stack in
            let slug = "fresh-\(Int.random(in: 0..<1_000_000))"
            let before = try await stack.client.request("/products/\(slug)", port: stack.httpsPort, serverName: stack.alpine.domain.rawValue)
            #expect(before.head.status == .notFound)
            try await TenantScope.withTenant(stack.alpine.id) {
                try await stack.database.database.write(stack.alpine.id) { connection in
                    try await connection.query(
                        """
                        INSERT INTO products (tenant_id, slug, title, price_cents, currency)
                        VALUES (\(connection.tenant.rawValue), \(slug), 'Written just now', 4200, 'EUR')
                        """
                    )
                }
            }
            try await stack.database.waitForReplica()
            let after = try await stack.client.request("/products/\(slug)", port: stack.httpsPort, serverName: stack.alpine.domain.rawValue)
            #expect(after.head.status == .ok)
            #expect(after.text.contains("Written just now"))
            let otherTenant = try await stack.client.request("/products/\(slug)", port: stack.httpsPort, serverName: stack.harbor.domain.rawValue)
            #expect(otherTenant.head.status == .notFound)
        }
    }

    /// The plain HTTP listener redirects a storefront to HTTPS with 308 and refuses unknown hosts.
    @Test func plainHTTPRedirectsToHTTPS() async throws {
        try await Stack.with { stack in
            let httpPort = stack.ports.http ?? 0
            let domain = stack.alpine.domain.rawValue
            let redirect = try await plainGET("/products/product-1?x=1", host: "\(domain):\(httpPort)", port: httpPort)
            #expect(redirect.head.status == .permanentRedirect)
            #expect(redirect.head.headers.first(name: "location") == "https://\(domain):\(stack.httpsPort)/products/product-1?x=1")
            let unknown = try await plainGET("/", host: "unknown.test", port: httpPort)
            #expect(unknown.head.status == .misdirectedRequest)
        }
    }
}

func plainGET(_ path: String, host: String, port: Int) async throws -> HTTPClientResponse {
    let client = try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton)
    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
    head.headers.add(name: "host", value: host)
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    return try await client.execute(head, to: HTTPEndpoint(host: "127.0.0.1", port: port), on: loop, deadline: .now() + .seconds(5)).get()
}

func pemToDER(_ pem: Data) throws -> [UInt8] {
    let text = String(decoding: pem, as: UTF8.self)
    let body = text.components(separatedBy: "-----BEGIN CERTIFICATE-----")[1].components(separatedBy: "-----END CERTIFICATE-----")[0]
    guard let der = Data(base64Encoded: body.filter { !$0.isWhitespace }) else { throw PEMError.invalid }
    return Array(der)
}

enum PEMError: Error { case invalid }
