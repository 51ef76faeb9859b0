import Prometheus
import TestSupport
import Testing

@testable import EdgeGateway

/// The series `/metrics` reads from the edge's state at scrape time, exported through swift-prometheus.
@Suite struct ScrapedMetricsTests {
    static let family = ScrapedSeries.Family(name: "test_things_total", kind: .counter, help: "Things.")
    static let level = ScrapedSeries.Family(name: "test_level", kind: .gauge, help: "A level.")

    /// Counters follow their source's total (again from zero when the source restarts); gone series leave.
    @Test func countersFollowTheirSourceAndGoneSeriesLeave() {
        let registry = PrometheusCollectorRegistry()
        let series = ScrapedSeries(registry: registry)
        series.update([.init(Self.family, [("origin", "a")], 3), .init(Self.level, [], 0.5)])
        #expect(registry.emitToString().contains(#"test_things_total{origin="a"} 3"#))
        #expect(registry.emitToString().contains("test_level 0.5"))
        series.update([.init(Self.family, [("origin", "a")], 5), .init(Self.family, [("origin", "b")], 1)])
        let second = registry.emitToString()
        #expect(second.contains(#"test_things_total{origin="a"} 5"#))
        #expect(second.contains(#"test_things_total{origin="b"} 1"#))
        #expect(!second.contains("test_level"))
        series.update([.init(Self.family, [("origin", "a")], 2)])
        let third = registry.emitToString()
        #expect(third.contains(#"test_things_total{origin="a"} 2"#))
        #expect(!third.contains(#"origin="b""#))
    }

    /// Every family keeps its name and type, once each in the exposition; origin series follow the pool.
    @Test func familiesTypesAndOriginSeries() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page") }
        defer { Task { await origin.stop() } }
        let down = try ClosedPort()
        try await EdgeFixture.with(origins: [origin], unreachable: [down]) { edge in
            _ = try await edge.get("/m")
            _ = try await edge.get("/m")
            let text = edge.server.metricsText()
            let types = [
                "storefront_edge_requests_total": "counter", "storefront_edge_foreign_tenant_responses_total": "counter",
                "storefront_edge_hit_ratio": "gauge", "storefront_edge_cache_objects": "gauge",
                "storefront_edge_cache_bytes": "gauge", "storefront_edge_cache_evictions_total": "counter",
                "storefront_edge_cache_purged_total": "counter", "storefront_edge_coalesced_waiters": "gauge",
                "storefront_edge_origin_up": "gauge", "storefront_edge_origin_outstanding": "gauge",
                "storefront_edge_origin_requests_total": "counter", "storefront_edge_origin_ejections_total": "counter",
                "storefront_edge_request_duration_seconds": "histogram", "storefront_edge_origin_duration_seconds": "histogram",
                "storefront_edge_purge_propagation_seconds": "histogram", "storefront_edge_responses_total": "counter",
            ]
            for (name, type) in types {
                #expect(text.components(separatedBy: "# TYPE \(name) ").count == 2, "\(name) has one TYPE line")
                #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name) is a \(type)")
            }
            #expect(text.contains(#"storefront_edge_requests_total{tenant="alpine",cache="HIT"} 1"#))
            #expect(text.contains(#"storefront_edge_cache_objects{tenant="alpine"} 1.0"#))
            #expect(text.contains(#"storefront_edge_hit_ratio{tenant="alpine",window="60s"} 0.5"#))
            #expect(text.contains("storefront_edge_coalesced_waiters 0.0"))
            #expect(text.contains(#"storefront_edge_origin_requests_total{origin="127.0.0.1:\#(origin.port)"} 1"#))
            #expect(text.contains(#"storefront_edge_origin_up{origin="127.0.0.1:\#(down.port)"}"#))

            edge.server.originPool.update([HTTPEndpoint(host: "127.0.0.1", port: origin.port)])
            let after = edge.server.metricsText()
            #expect(!after.contains(#"origin="127.0.0.1:\#(down.port)""#))
            #expect(after.contains(#"storefront_edge_origin_up{origin="127.0.0.1:\#(origin.port)"} 1.0"#))
        }
    }
}
