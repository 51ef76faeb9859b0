import EdgeGateway
import Foundation
import Testing

@testable import LoadGenerator

@Suite struct ReportTests {
    static func report(hits: Int, misses: Int, passes: Int) -> LoadReport {
        var tally = Tally()
        for _ in 0..<hits { tally.add(.answered(status: 200, cache: "HIT"), microseconds: 500) }
        for _ in 0..<misses { tally.add(.answered(status: 200, cache: "MISS"), microseconds: 5_000) }
        for _ in 0..<passes { tally.add(.answered(status: 200, cache: "PASS"), microseconds: 4_000) }
        let configuration = LoadConfiguration(
            edge: HTTPEndpoint(host: "127.0.0.1", port: 1),
            caPath: "",
            tenants: [LoadTenant(id: "alpine", domain: "alpine.test")],
            products: 10
        )
        return LoadReport(
            configuration: configuration, startedAt: Date(), seconds: 2, total: tally, perTenant: ["alpine": tally],
            intervals: [], updates: 0, updateErrors: 0
        )
    }

    @Test func figuresFromResults() {
        let report = Self.report(hits: 90, misses: 10, passes: 20)
        #expect(report.overall.requests == 120)
        #expect(report.overall.requestsPerSecond == 60)
        #expect(report.overall.hitRatio == 0.9)
        #expect(report.overall.latency.p50 < 1 && report.overall.latency.p99 >= 4.9)
    }

    /// The steady-state hit ratio weighs the seconds after the warm-up by their requests and leaves the
    /// cold seconds out.
    @Test func steadyHitRatioLeavesOutTheWarmUp() {
        func point(_ second: Double, hits: Int, misses: Int) -> IntervalPoint {
            IntervalPoint(second: second, requests: hits + misses + 5, hitRatio: nil, hits: hits, misses: misses, p99Milliseconds: 1, errors: 0)
        }
        let intervals = [
            point(1.0, hits: 0, misses: 100), point(2.0, hits: 50, misses: 50),
            point(3.0, hits: 90, misses: 10), point(4.0, hits: 270, misses: 30),
        ]
        #expect(LoadReport.hitRatio(of: intervals, after: 2) == 0.9)
        #expect(LoadReport.hitRatio(of: intervals, after: 0) == 410.0 / 600.0)
        #expect(LoadReport.hitRatio(of: intervals, after: 4) == nil)
    }

    /// The edge's counters and the origins' product-page requests, before and after, give their views.
    @Test func serverViewsFromMetrics() {
        var report = Self.report(hits: 90, misses: 10, passes: 20)
        let edgeBefore = """
            storefront_edge_requests_total{tenant="alpine",cache="HIT"} 5
            storefront_edge_requests_total{tenant="alpine",cache="MISS"} 5
            """
        let edgeAfter = """
            # TYPE storefront_edge_requests_total counter
            storefront_edge_requests_total{tenant="alpine",cache="HIT"} 85
            storefront_edge_requests_total{tenant="alpine",cache="COALESCED"} 10
            storefront_edge_requests_total{tenant="alpine",cache="MISS"} 15
            storefront_edge_requests_total{tenant="alpine",cache="PASS"} 20
            """
        let originBefore = #"storefront_origin_product_pages_total{tenant="alpine"} 100"#
        let originAfter = """
            # TYPE storefront_origin_product_pages_total counter
            storefront_origin_product_pages_total{tenant="alpine"} 130
            storefront_origin_product_pages_total{tenant="harbor"} 999
            hb_requests{http_route="/products/{slug}",http_request_method="GET",http_response_status_code="200"} 5000
            """
        report.addServerView(edgeBefore: edgeBefore, edgeAfter: edgeAfter, originsBefore: [originBefore], originsAfter: [originAfter])
        #expect(report.perTenant["alpine"]?.edgeReportedHitRatio == 0.9)
        #expect(report.overall.edgeReportedHitRatio == 0.9)
        #expect(report.originProductRequests == 30)
        // 30 of alpine's reached the origins, 20 of them the passes: 10 misses of 100 cacheable requests.
        // Another tenant's pages (not in this run) do not count.
        #expect(report.originObservedHitRatio == 0.9)
        #expect(report.perTenant["alpine"]?.originObservedHitRatio == 0.9)
    }
}
