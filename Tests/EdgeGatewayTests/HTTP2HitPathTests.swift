import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// HTTP/2 hits are answered on the connection, without a stream channel (`HTTP2HitHandler`); misses, stale
/// pages and refusals take the stream-channel path. A client must see no difference between the two, nor
/// between HTTP/2 and HTTP/1.1, and the boundary between tenants must hold on both.
@Suite struct HTTP2HitPathTests {
    static let etag = "\"v7\""

    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(
                headers: [
                    ("Cache-Control", "public, s-maxage=60"),
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("ETag", Self.etag),
                    ("X-Product-Id", "p-42"),
                    ("x-storefront-tenant", head.headers.first(name: "x-storefront-tenant") ?? "-"),
                ],
                body: "<h1>page \(head.uri) of \(head.headers.first(name: "x-storefront-tenant") ?? "?")</h1>"
            )
        }
    }

    /// The first stream misses (stream channel), the next two on the same connection hit (on the
    /// connection): same body, the stored fields with lowercased names, `age`, `x-cache: HIT` and the right
    /// `content-length`; the origin is asked once; the hits are counted for the tenant, in the metrics and in
    /// the access log.
    @Test func hitsOnOneConnectionMatchTheHTTP1Hit() async throws {
        let logPath = NSTemporaryDirectory() + "h2-access-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.accessLog = .file(logPath) }) { edge in
            let responses = try await Curl.requests(
                ["/products/42", "/products/42", "/products/42?utm_source=mail"],
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath
            )
            #expect(responses.map(\.httpVersion) == ["2", "2", "2"])
            #expect(responses.map(\.status) == [200, 200, 200])
            #expect(responses.map { $0.header("x-cache") } == ["MISS", "HIT", "HIT"])
            #expect(origin.requestCount == 1)

            let http1 = try await edge.get("/products/42")
            #expect(http1.head.headers.first(name: "x-cache") == "HIT")
            let expectedBody = "<h1>page /products/42 of alpine</h1>"
            for hit in responses.dropFirst() {
                #expect(String(decoding: hit.body, as: UTF8.self) == expectedBody)
                #expect(hit.header("content-length") == String(expectedBody.utf8.count))
                #expect(hit.header("age").flatMap(Int.init) != nil)
                for name in ["cache-control", "content-type", "etag", "x-product-id"] {
                    #expect(hit.header(name) == http1.head.headers.first(name: name), "\(name)")
                }
                // Internal fields never reach a client, on either path.
                #expect(hit.header("x-storefront-tenant") == nil)
                #expect(hit.header("surrogate-key") == nil)
            }
            #expect(String(buffer: http1.body) == expectedBody)

            let metrics = edge.server.metricsText()
            #expect(metrics.contains("storefront_edge_requests_total{tenant=\"alpine\",cache=\"HIT\"} 3"))
            #expect(metrics.contains("storefront_edge_request_duration_seconds_count{cache=\"HIT\"} 3"))
            #expect(metrics.contains("storefront_edge_responses_total{tenant=\"alpine\",status=\"2xx\"} 4"))

            var hitLines: [[String: Any]] = []
            try await waitUntil("three HIT lines in the access log", timeout: .seconds(5), pollEvery: .milliseconds(100)) {
                let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                hitLines = text.split(separator: "\n")
                    .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    .filter { $0["cache"] as? String == "HIT" }
                return hitLines.count >= 3
            }
            #expect(hitLines.count == 3)
            #expect(hitLines.allSatisfy { $0["tenant"] as? String == "alpine" && $0["status"] as? Int == 200 })
            #expect(hitLines.contains { $0["path"] as? String == "/products/42" && $0["host"] as? String == edge.alpineDomain })
        }
    }

    /// A conditional request with the stored ETag gets 304 without a body; HEAD gets the page's length
    /// without a body; both from the cache.
    @Test func conditionalAndHeadHits() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/products/7")
            let conditional = try await Curl.requests(
                ["/products/7", "/products/7"],
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                headers: ["If-None-Match: \"v1\", \(Self.etag)"]
            )
            #expect(conditional.map(\.status) == [304, 304])
            #expect(conditional.allSatisfy { $0.bodyBytesReceived == 0 && $0.header("x-cache") == "HIT" })

            let other = try await Curl.get(
                "/products/7",
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                headers: ["If-None-Match: \"v1\""]
            )
            #expect(other.status == 200)
            #expect(String(decoding: other.body, as: UTF8.self) == "<h1>page /products/7 of alpine</h1>")

            let head = try await Curl.requests(
                ["/products/7"],
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                head: true
            )[0]
            #expect(head.status == 200)
            #expect(head.bodyBytesReceived == 0)
            #expect(head.header("content-length") == String("<h1>page /products/7 of alpine</h1>".utf8.count))
            #expect(head.header("x-cache") == "HIT")
            #expect(origin.requestCount == 1)
        }
    }

    /// Bodies the cache keeps in two buffers (just over a power of two) arrive whole and in order on every
    /// hit path: HTTP/1.1 small (copied after the head) and large (written as stored), HTTP/2 (two DATA
    /// frames).
    @Test func bodiesKeptInTwoPartsArriveWhole() async throws {
        let origin = try await FakeOrigin.start { head in
            var reply = FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60"), ("content-type", "application/octet-stream")])
            reply.generated = (head.uri == "/small" ? 1100 : 20_000, false)
            return reply
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            for (path, size) in [("/small", 1100), ("/large", 20_000)] {
                let miss = try await edge.get(path)
                let hit = try await edge.get(path)
                #expect(miss.head.headers.first(name: "x-cache") == "MISS")
                #expect(hit.head.headers.first(name: "x-cache") == "HIT")
                #expect(hit.body.readableBytes == size)
                #expect(hit.body.withUnsafeReadableBytes { FakeOrigin.isGenerated($0) })
                let http2 = try await Curl.requests([path, path], port: edge.ports.https, serverName: edge.alpineDomain, caPath: edge.caPath)
                for response in http2 {
                    #expect(response.header("x-cache") == "HIT")
                    #expect(response.body.count == size)
                    #expect(response.body.withUnsafeBytes { FakeOrigin.isGenerated($0) })
                }
            }
            #expect(origin.requestCount == 2)
        }
    }

    /// A stream whose `:authority` is another tenant's, on a connection whose SNI chose this tenant, is
    /// refused (421) even though the other tenant's page is in the cache under the same path; a request that
    /// carries a session cookie passes the cache.
    @Test func otherTenantsHitIsNotServedAcrossTheConnection() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let harbor = try await edge.get("/products/9", tenant: EdgeFixture.harbor)
            #expect(String(buffer: harbor.body) == "<h1>page /products/9 of harbor</h1>")
            #expect(try await edge.get("/products/9", tenant: EdgeFixture.harbor).head.headers.first(name: "x-cache") == "HIT")

            let crossed = try await Curl.requests(
                ["/products/9", "/products/9"],
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                headers: ["Host: \(edge.harborDomain)"]
            )
            #expect(crossed[0].httpVersion == "2")
            #expect(crossed[0].status == 421)
            #expect(!String(decoding: crossed[0].body, as: UTF8.self).contains("harbor</h1>"))
            #expect(edge.server.metricsText().contains("storefront_edge_requests_total{tenant=\"harbor\",cache=\"HIT\"} 1"))

            let own = try await Curl.requests(
                ["/products/9", "/products/9"],
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath
            )
            #expect(own.map { $0.header("x-cache") } == ["MISS", "HIT"])
            #expect(own.allSatisfy { String(decoding: $0.body, as: UTF8.self) == "<h1>page /products/9 of alpine</h1>" })

            let withSession = try await Curl.get(
                "/products/9",
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                headers: ["Cookie: session=abc"]
            )
            #expect(withSession.header("x-cache") == "PASS")
            #expect(origin.requestCount == 3)
        }
    }
}
