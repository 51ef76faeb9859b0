import EdgeGateway
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// A request-smuggling and cache-poisoning-proof front door: every ambiguous framing is refused with 400
/// and the connection closed, nothing of it reaches an origin, and the bytes after it are never read as a
/// second request.
@Suite struct RequestHygieneTests {
    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page \(head.uri)")
        }
    }

    /// Each request is followed on the same connection by a smuggled `GET /smuggled`: the answer must be
    /// one 400 and a closed connection, and the origin must see neither.
    @Test(arguments: [
        (
            "content-length and transfer-encoding",
            "POST /a HTTP/1.1\r\nHost: HOST\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
        ("duplicate content-length", "POST /a HTTP/1.1\r\nHost: HOST\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nxxxx"),
        ("same content-length twice", "POST /a HTTP/1.1\r\nHost: HOST\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nxxxx"),
        ("malformed content-length", "POST /a HTTP/1.1\r\nHost: HOST\r\nContent-Length: 4x\r\n\r\nxxxx"),
        ("signed content-length", "POST /a HTTP/1.1\r\nHost: HOST\r\nContent-Length: +4\r\n\r\nxxxx"),
        ("comma content-length", "POST /a HTTP/1.1\r\nHost: HOST\r\nContent-Length: 4, 4\r\n\r\nxxxx"),
        ("obfuscated transfer-encoding", "POST /a HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
        ("transfer-encoding list", "POST /a HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        ("chunked not last", "POST /a HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
        (
            "two transfer-encoding fields",
            "POST /a HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n"
        ),
        ("transfer-encoding in HTTP/1.0", "POST /a HTTP/1.0\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("bad chunk size", "POST /a HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n"),
        ("chunk size overflow", "POST /a HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nxx\r\n0\r\n\r\n"),
        ("space before colon", "GET /a HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
        ("obs-fold", "GET /a HTTP/1.1\r\nHost: HOST\r\nX-Note: one\r\n two\r\n\r\n"),
        ("NUL in a header value", "GET /a HTTP/1.1\r\nHost: HOST\r\nX-Note: a\u{0}b\r\n\r\n"),
        ("control character in a header value", "GET /a HTTP/1.1\r\nHost: HOST\r\nX-Note: a\u{1b}b\r\n\r\n"),
        ("bare LF line ends", "GET /a HTTP/1.1\nHost: HOST\n\n"),
        ("bare CR", "GET /a HTTP/1.1\r\nHost: HOST\rX-Note: a\r\n\r\n"),
        ("missing Host", "GET /a HTTP/1.1\r\n\r\n"),
        ("duplicate Host", "GET /a HTTP/1.1\r\nHost: HOST\r\nHost: HOST\r\n\r\n"),
        ("absolute-form for another authority", "GET https://evil.test/a HTTP/1.1\r\nHost: HOST\r\n\r\n"),
        ("space in the target", "GET /a b HTTP/1.1\r\nHost: HOST\r\n\r\n"),
    ])
    func ambiguousRequestIsRefused(_ name: String, _ request: String) async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let smuggled = "GET /smuggled HTTP/1.1\r\nHost: \(host)\r\n\r\n"
            let wire = request.replacingOccurrences(of: "HOST", with: host) + smuggled
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 400") || answer.hasPrefix("HTTP/1.0 400"), "\(name): \(answer.prefix(200))")
            #expect(answer.components(separatedBy: "HTTP/1.").count == 2, "\(name): exactly one response, then close")
            #expect(!answer.contains("/smuggled"), "\(name)")
            #expect(origin.requests.allSatisfy { $0.uri != "/smuggled" }, "\(name): the smuggled request reached the origin")
            #expect(origin.requestCount == 0, "\(name): forwarded \(origin.requests.map(\.uri))")
        }
    }

    /// Absolute-form with the connection's own authority is the same request in origin-form.
    @Test func absoluteFormForTheSameHostIsServed() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let wire = "GET https://\(host.uppercased())/a?b=1 HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
            #expect(origin.requests.map(\.uri) == ["/a?b=1"])
        }
    }

    /// A chunked request body is accepted and forwarded with its length, once.
    @Test func chunkedBodyIsForwarded() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let wire = "POST /orders HTTP/1.1\r\nHost: \(host)\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
            #expect(origin.requests.map(\.uri) == ["/orders"])
            #expect(origin.requests.first?.headers.first(name: "content-length") == "4")
            #expect(origin.requests.first?.headers["transfer-encoding"].isEmpty == true)
        }
    }
}

/// Cache poisoning: headers outside the cache key that an origin might reflect never reach it, so what a
/// poisoner's request stores is exactly what a clean request would have stored.
@Suite struct CachePoisoningTests {
    @Test func unkeyedHeadersCannotPoisonTheStoredPage() async throws {
        let origin = try await FakeOrigin.start { head in
            let echoed = [
                "host", "x-forwarded-host", "x-original-url", "x-rewrite-url", "forwarded", "x-forwarded-proto", "x-storefront-tenant",
                "x-forwarded-port",
            ]
            .map { "\($0)=\(head.headers[$0].joined(separator: "|"))" }
            .joined(separator: ";")
            return FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "uri=\(head.uri);\(echoed)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let poisoned = try await edge.get(
                "/page",
                headers: [
                    ("x-forwarded-host", "evil.test"), ("x-original-url", "/admin"), ("x-rewrite-url", "/admin"),
                    ("forwarded", "host=evil.test;proto=http"), ("x-forwarded-proto", "http"), ("x-forwarded-port", "1"),
                    ("x-storefront-tenant", "harbor"),
                ]
            )
            let clean = try await edge.get("/page")
            #expect(clean.head.headers.first(name: "x-cache") == "HIT")
            let stored = String(buffer: clean.body)
            #expect(stored == String(buffer: poisoned.body))
            #expect(stored.hasPrefix("uri=/page;host=\(edge.alpineDomain);"))
            for injected in ["evil.test", "/admin", "proto=http;", "x-forwarded-port=1", "harbor"] {
                #expect(!stored.contains(injected), "\(injected) reached the stored page: \(stored)")
            }
            #expect(stored.contains("x-forwarded-proto=https;"))
            #expect(stored.contains("x-storefront-tenant=alpine;"))
        }
    }
}
