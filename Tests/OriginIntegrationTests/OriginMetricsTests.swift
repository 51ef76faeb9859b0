import CoreMetrics
import Foundation
import Prometheus
import TestSupport
import Testing

/// The origin's `/metrics` as a platform team reads them: product pages per tenant (the origin's side of
/// the hit ratio), request latency by route template (never a raw path), query latency by pool, Redis
/// results.
@Suite struct OriginMetricsTests {
    /// The process's metrics backend, as the `origin` executable sets it up (once per process: swift-metrics
    /// allows one bootstrap; origins other tests start afterwards record here too, under their own tenants).
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func text() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func productPagesPerTenantAndBoundedLabels() async throws {
        _ = Self.registry
        try await TestDatabase.with { db in
            let first = TestEnvironment.uniqueTenant(name: "Metrics One")
            let second = TestEnvironment.uniqueTenant(name: "Metrics Two")
            try await db.createTenant(first, products: 3)
            try await db.createTenant(second, products: 3)
            try await withRunningOrigin { port in
                for slug in ["product-1", "product-2", "product-1"] {
                    let page = try await PlainHTTP.send(.GET, "/products/\(slug)", host: first.domain.rawValue, port: port)
                    #expect(page.head.status == .ok)
                }
                let missing = try await PlainHTTP.send(.GET, "/products/product-99", host: second.domain.rawValue, port: port)
                #expect(missing.head.status == .notFound)
                let text = Self.text()
                #expect(text.contains("storefront_origin_product_pages_total{tenant=\"\(first.id.rawValue)\"} 3"))
                #expect(text.contains("storefront_origin_product_pages_total{tenant=\"\(second.id.rawValue)\"} 1"))
                #expect(text.contains("pool=\"replica\""))
                #expect(text.contains("http_route=\"/products/{slug}\""))
                #expect(!text.contains("/products/product-1\""), "raw paths must not become labels")
                #expect(text.contains("storefront_redis_hits_total") || text.contains("storefront_redis_misses_total"))
            }
        }
    }
}
