import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The edge alone decides what the origin learns: override headers a framework would honour never reach a
/// trusting origin, the forwarding fields are the edge's, and what a poisoner's request stored is exactly
/// what a clean request stores.
@Suite struct ForwardingTests {
    /// Fields a trusting origin builds links, redirects or routes from, echoed into its (cacheable) page.
    static let echoed = [
        "host", "x-host", "x-forwarded-server", "x-forwarded-scheme", "x-http-method-override", "x-forwarded-host",
        "x-forwarded-proto", "x-forwarded-port", "x-forwarded-for", "forwarded", "x-forwarded-prefix", "x-storefront-tenant",
    ]

    static func echoingOrigin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            let fields = echoed.map { "\($0)=\(head.headers[$0].joined(separator: "|"))" }.joined(separator: "\n")
            return FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "\(head.method) \(head.uri)\n\(fields)")
        }
    }

    /// X-Host twice, X-Forwarded-Server, X-Forwarded-Scheme, a method override and a Host with a port: the
    /// origin sees none of them, only the edge's own values, and the next clean visitor gets a clean page.
    @Test func overrideHeadersNeverReachTheOriginNorTheStoredPage() async throws {
        let origin = try await Self.echoingOrigin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.publicHTTPSPort = 443 }) { edge in
            let host = edge.alpineDomain
            let wire =
                "GET /page HTTP/1.1\r\nHost: \(host):1234\r\nX-Host: evil.example\r\nX-Host: evil.example\r\n"
                + "X-Forwarded-Server: evil.example\r\nX-Forwarded-Scheme: http\r\nX-HTTP-Method-Override: DELETE\r\n"
                + "X-Forwarded-Prefix: /evil\r\nX-Original-Host: evil.example\r\nFront-End-Https: off\r\nConnection: close\r\n\r\n"
            let poisoned = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(poisoned.hasPrefix("HTTP/1.1 200 OK"), "\(poisoned.prefix(200))")
            let seen = try #require(origin.requests.first)
            #expect(seen.method == .GET)
            #expect(seen.headers["host"] == [host])
            for name in [
                "x-host", "x-forwarded-server", "x-forwarded-scheme", "x-http-method-override", "x-forwarded-prefix", "x-original-host",
                "front-end-https",
            ] {
                #expect(seen.headers[name].isEmpty, "\(name) reached the origin: \(seen.headers[name])")
            }
            #expect(seen.headers["x-forwarded-host"] == [host])
            #expect(seen.headers["x-forwarded-proto"] == ["https"])
            #expect(seen.headers["x-forwarded-port"] == ["443"])
            #expect(seen.headers["x-forwarded-for"] == ["127.0.0.1"])
            #expect(seen.headers["forwarded"] == ["for=127.0.0.1;host=\(host);proto=https"])
            let clean = try await edge.get("/page")
            #expect(clean.head.headers.first(name: "x-cache") == "HIT")
            let stored = String(buffer: clean.body)
            for injected in ["evil", "1234", "DELETE", "=http\n"] {
                #expect(!stored.contains(injected), "\(injected) reached the stored page: \(stored)")
            }
            #expect(stored.contains("\nhost=\(host)\n"))
        }
    }

    /// A header the tenant allow-lists reaches the origin, and the answer is not stored (it is outside
    /// the key): a clean visitor never gets a page built from it.
    @Test func anAllowListedHeaderIsForwardedAndPassesTheCache() async throws {
        let origin = try await Self.echoingOrigin()
        defer { Task { await origin.stop() } }
        let settings = TenantEdgeSettings(forwardRequestHeaders: ["X-Forwarded-Prefix"])
        try await EdgeFixture.with(origins: [origin], alpineSettings: settings) { edge in
            let prefixed = try await edge.get("/page", headers: [("x-forwarded-prefix", "/shop"), ("x-host", "evil.example")])
            #expect(prefixed.head.headers.first(name: "x-cache") == "PASS")
            #expect(String(buffer: prefixed.body).contains("x-forwarded-prefix=/shop\n"))
            #expect(!String(buffer: prefixed.body).contains("evil"))
            let clean = try await edge.get("/page")
            #expect(clean.head.headers.first(name: "x-cache") == "MISS")
            #expect(!String(buffer: clean.body).contains("/shop"))
            #expect(origin.requestCount == 2)
        }
    }

    /// A GET or HEAD with a body (declared by Content-Length or chunked) is answered 400 and the connection
    /// closed; it never reaches the origin, and the bytes after it are not read as a request.
    @Test(arguments: [
        ("GET with Content-Length", "GET /page HTTP/1.1\r\nHost: HOST\r\nContent-Length: 5\r\n\r\nhello"),
        ("HEAD with Content-Length", "HEAD /page HTTP/1.1\r\nHost: HOST\r\nContent-Length: 5\r\n\r\nhello"),
        ("GET chunked", "GET /page HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("GET with a declared body never sent", "GET /page HTTP/1.1\r\nHost: HOST\r\nContent-Length: 50\r\n\r\n"),
    ])
    func aBodyOnGetOrHeadIsRefused(_ name: String, _ request: String) async throws {
        let origin = try await Self.echoingOrigin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let smuggled = "GET /smuggled HTTP/1.1\r\nHost: \(host)\r\n\r\n"
            let wire = request.replacingOccurrences(of: "HOST", with: host) + smuggled
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request"), "\(name): \(answer.prefix(200))")
            #expect(request.hasPrefix("HEAD") || answer.contains("may not carry a body"), "\(name): \(answer)")
            #expect(answer.components(separatedBy: "HTTP/1.").count == 2, "\(name): exactly one response, then close")
            #expect(origin.requestCount == 0, "\(name): forwarded \(origin.requests.map(\.uri))")
        }
    }

    /// `Content-Length: 0` on a GET is no body: served as usual.
    @Test func anEmptyDeclaredBodyOnGetIsServed() async throws {
        let origin = try await Self.echoingOrigin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let wire = "GET /page HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(answer.prefix(200))")
            #expect(origin.requestCount == 1)
        }
    }

    /// HTTP/2 (curl over ALPN h2): a GET that declares a body is refused 400 on its stream and never
    /// reaches the origin; the connection's other requests are unaffected.
    @Test func aBodyOnGetOverHTTP2IsRefused() async throws {
        let origin = try await Self.echoingOrigin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let run = try await ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "--silent", "--show-error", "--max-time", "30", "--http2", "--cacert", edge.caPath,
                    "--resolve", "\(host):\(edge.ports.https):127.0.0.1", "--write-out", "%{http_version} %{http_code}\n",
                    "--output", "/dev/null", "--request", "GET", "--data", "hello", "https://\(host):\(edge.ports.https)/page",
                ]
            )
            let out = String(decoding: run.standardOutput, as: UTF8.self)
            #expect(out == "2 400\n", "\(out) \(String(decoding: run.standardError, as: UTF8.self))")
            #expect(origin.requestCount == 0)
        }
    }
}
