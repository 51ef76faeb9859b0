import EdgeGateway
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Shared
import TestSupport
import Testing

/// The edge's authenticated purge API against a scripted origin.
@Suite struct EdgeAdminTests {
    static func tagged(_ head: HTTPRequestHead) -> FakeOrigin.Reply {
        let tenant = head.headers.first(name: StorefrontHeader.tenant) ?? "?"
        let product = head.uri.split(separator: "/").last.map(String.init) ?? "0"
        return FakeOrigin.Reply(
            headers: [
                ("cache-control", "public, s-maxage=300"),
                (StorefrontHeader.tenant, tenant),
                (StorefrontHeader.surrogateKey, "tenant:\(tenant) tenant:\(tenant):product:\(product)"),
            ],
            body: "product \(product) of \(tenant)"
        )
    }

    static func purge(_ body: String, port: Int, token: String = "secret") async throws -> HTTPClientResponse {
        try await PlainHTTP.send(.POST, "/purge", host: "127.0.0.1", port: port, headers: [("authorization", "Bearer \(token)")], body: body)
    }

    @Test func purgeByTagURLAndTenant() async throws {
        let origin = try await FakeOrigin.start(Self.tagged)
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let admin = try await EdgeAdminServer.start(
                host: "127.0.0.1",
                port: 0,
                token: "secret",
                server: edge.server,
                logger: Logger(label: "test")
            )
            defer { admin.close(promise: nil) }
            let port = admin.localAddress!.port!
            for path in ["/p/1", "/p/2", "/p/3"] {
                _ = try await edge.get(path, tenant: EdgeFixture.alpine)
                _ = try await edge.get(path, tenant: EdgeFixture.harbor)
            }
            #expect(try await edge.get("/p/1").head.headers.first(name: "x-cache") == "HIT")

            let denied = try await Self.purge(#"{"tenant":"alpine","all":true}"#, port: port, token: "wrong")
            #expect(denied.head.status == .unauthorized)
            let malformed = try await Self.purge(#"{"tenant":"Not A Tenant","all":true}"#, port: port)
            #expect(malformed.head.status == .badRequest)

            let byTag = try await Self.purge(#"{"tenant":"alpine","tags":["tenant:alpine:product:1","tenant:harbor:product:2"]}"#, port: port)
            #expect(byTag.text == #"{"purged":1}"#)
            #expect(try await edge.get("/p/1").head.headers.first(name: "x-cache") == "MISS")
            #expect(try await edge.get("/p/2", tenant: EdgeFixture.harbor).head.headers.first(name: "x-cache") == "HIT")

            let byURL = try await Self.purge(#"{"tenant":"alpine","url":"/p/2"}"#, port: port)
            #expect(byURL.text == #"{"purged":1}"#)
            #expect(try await edge.get("/p/2").head.headers.first(name: "x-cache") == "MISS")

            let all = try await Self.purge(#"{"tenant":"harbor","all":true}"#, port: port)
            #expect(all.text == #"{"purged":3}"#)
            #expect(try await edge.get("/p/3", tenant: EdgeFixture.harbor).head.headers.first(name: "x-cache") == "MISS")
            #expect(try await edge.get("/p/3", tenant: EdgeFixture.alpine).head.headers.first(name: "x-cache") == "HIT")

            let metrics = try await PlainHTTP.send(.GET, "/metrics", host: "127.0.0.1", port: port)
            #expect(metrics.head.status == .ok)
            #expect(metrics.text.contains(#"storefront_edge_requests_total{tenant="alpine",cache="HIT"}"#))
            #expect(metrics.text.contains(#"storefront_edge_cache_purged_total{tenant="harbor"} 3"#))
            #expect(metrics.text.contains(#"storefront_edge_hit_ratio{tenant="alpine",window="60s"}"#))
        }
    }
}

/// Latency histograms and status counters on `/metrics` (swift-prometheus), with bounded labels.
@Suite struct EdgeLatencyMetricsTests {
    @Test func requestsAppearInHistogramsAndCounters() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/m")
            _ = try await edge.get("/m")
            _ = try await edge.client.request("/m", port: edge.ports.https, serverName: edge.alpineDomain, host: edge.harborDomain)
            let text = edge.server.metricsText()
            #expect(text.contains("storefront_edge_request_duration_seconds_count{cache=\"HIT\"} 1"))
            #expect(text.contains("storefront_edge_request_duration_seconds_count{cache=\"MISS\"} 1"))
            #expect(text.contains("storefront_edge_request_duration_seconds_count{cache=\"-\"} 1"))
            #expect(text.contains("storefront_edge_origin_duration_seconds_count 1"))
            #expect(text.contains("storefront_edge_responses_total{tenant=\"alpine\",status=\"2xx\"} 2"))
            #expect(text.contains("storefront_edge_responses_total{tenant=\"-\",status=\"4xx\"} 1"))
        }
    }
}

/// The Grafana dashboard in deploy/grafana only charts edge metrics the edge exports.
@Suite struct DashboardTests {
    @Test func everyEdgeMetricOnTheDashboardExists() async throws {
        let path = TestEnvironment.repositoryRoot + "/deploy/grafana/storefront.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let names = Set(
            text.matches(of: /storefront_edge_[a-z_]+/).map { match in
                String(match.output).replacing(/_(bucket|count|sum)$/, with: "")
            }
        )
        #expect(names.count >= 10)
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/d")
            _ = try await edge.get("/d")
            let exported = edge.server.metricsText()
            for name in names.sorted() {
                #expect(exported.contains("# TYPE \(name) "), "\(name) is on the dashboard but not exported")
            }
        }
    }
}
