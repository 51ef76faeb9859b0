import Foundation
import Testing
import UpstreamHTTP

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
            configuration: configuration,
            startedAt: Date(),
            seconds: 2,
            total: tally,
            perTenant: ["alpine": tally],
            intervals: [],
            updates: 0,
            updateErrors: 0
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
            IntervalPoint(
                second: second,
                requests: hits + misses + 5,
                hitRatio: nil,
                hits: hits,
                misses: misses,
                p99Milliseconds: 1,
                errors: 0
            )
        }
        let intervals = [
            point(1.0, hits: 0, misses: 100), point(2.0, hits: 50, misses: 50),
            point(3.0, hits: 90, misses: 10), point(4.0, hits: 270, misses: 30),
        ]
        #expect(LoadReport.hitRatio(of: intervals, after: 2) == 0.9)
        #expect(LoadReport.hitRatio(of: intervals, after: 0) == 410.0 / 600.0)
        #expect(LoadReport.hitRatio(of: intervals, after: 4) == nil)
    }

    /// The edge's counters give its view; the origins' request counters, summed over origins, give the
    /// headline: 1 − storefront requests they served / requests sent (health checks, tenant lists and admin
    /// requests left out); their product-page counter gives the secondary, per-tenant figure.
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
        let first = (
            before: """
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/products/{slug}"} 100
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/health"} 7
            storefront_origin_product_pages_total{tenant="alpine"} 100
            """,
            after: """
            # TYPE hb_requests counter
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/products/{slug}"} 120
            hb_requests{http_request_method="GET",http_response_status_code="404",http_route="/products/{slug}"} 4
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/health"} 70
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/internal/tenants"} 12
            hb_requests{http_request_method="PUT",http_response_status_code="200",http_route="/admin/products/{slug}"} 3
            # TYPE storefront_origin_product_pages_total counter
            storefront_origin_product_pages_total{tenant="alpine"} 124
            """
        )
        let second = (
            before: "",
            after: """
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/products/{slug}"} 6
            hb_requests{http_request_method="GET",http_response_status_code="404",http_route="NotFound"} 1
            hb_requests_total_is_another_metric{http_route="/products/{slug}"} 1000
            storefront_origin_product_pages_total{tenant="alpine"} 6
            storefront_origin_product_pages_total{tenant="harbor"} 9
            """
        )
        report.addServerView(
            before: ServerMetrics(edge: edgeBefore, origins: [first.before, second.before]),
            after: ServerMetrics(edge: edgeAfter, origins: [first.after, second.after])
        )
        #expect(report.perTenant["alpine"]?.edgeReportedHitRatio == 0.9)
        #expect(report.overall.edgeReportedHitRatio == 0.9)
        // 24 on the first origin (20 pages, 4 of them 404s), 7 on the second (one for an unknown route).
        #expect(report.originRequests == 31)
        #expect(report.originObservedHitRatio == 1 - 31.0 / 120.0)
        #expect(report.overall.originObservedHitRatio == report.originObservedHitRatio)
        // Product pages of this run's tenant only: harbor's 9 are named in the note, not counted.
        #expect(report.originProductRequests == 30)
        #expect(report.originProductPageHitRatio == 0.75)
        #expect(report.perTenant["alpine"]?.originObservedHitRatio == 0.75)
        #expect(report.originNote?.contains("no tenant label") == true)
        #expect(report.originNote?.contains("9 product pages of tenants outside this run") == true)
    }

    /// The issue's run: 80,040 requests, 32,153 of them 404s the cache passed, 35,180 requests at the
    /// origins. The old figure (product pages less passes over cacheable requests) said 98.7%; the
    /// headline now says what the origins saw, and the run fails on its errors.
    @Test func issueRunIsReportedAsTheOriginsSawIt() {
        var tally = Tally()
        for _ in 0..<44_860 { tally.add(.answered(status: 200, cache: "HIT"), microseconds: 500) }
        for _ in 0..<3_027 { tally.add(.answered(status: 200, cache: "MISS"), microseconds: 5_000) }
        for _ in 0..<32_153 { tally.add(.answered(status: 404, cache: "PASS"), microseconds: 3_000) }
        let configuration = LoadConfiguration(
            edge: HTTPEndpoint(host: "127.0.0.1", port: 1),
            caPath: "",
            tenants: [LoadTenant(id: "alpine", domain: "alpine.test")],
            products: 20_000
        )
        var report = LoadReport(
            configuration: configuration,
            startedAt: Date(),
            seconds: 30,
            total: tally,
            perTenant: ["alpine": tally],
            intervals: [],
            updates: 0,
            updateErrors: 0
        )
        report.addOriginView(served: 35_180, productPages: ["alpine": 35_180])
        #expect(report.overall.requests == 80_040)
        #expect(abs(report.originObservedHitRatio! - 0.5605) < 0.0001)
        #expect(report.overall.errorCount == 32_153)
        #expect(report.overall.errors == ["status 404": 32_153])
        #expect(report.errorBudget.exceeded)
        #expect(abs(report.errorBudget.share! - 0.4017) < 0.0001)
        #expect(report.settings.catalogueSource == "--products")
    }

    /// An origin whose `/metrics` could not be read gives no origin figures rather than a partial count.
    @Test func unreadOriginGivesNoOriginFigures() {
        var report = Self.report(hits: 9, misses: 1, passes: 0)
        let text = #"hb_requests{http_route="/products/{slug}"} 1"#
        report.addServerView(before: ServerMetrics(edge: nil, origins: [text, nil]), after: ServerMetrics(edge: nil, origins: [text, text]))
        #expect(report.originObservedHitRatio == nil)
        #expect(report.originRequests == nil)
        #expect(report.originNote?.contains("origin #2") == true)
    }

    /// The JSON report carries the error budget and each tenant's catalogue size; the HTML page shows the
    /// errors above and below the tables.
    @Test func reportsCarryErrorsAndCatalogue() throws {
        var tally = Tally()
        for _ in 0..<98 { tally.add(.answered(status: 200, cache: "HIT"), microseconds: 500) }
        for _ in 0..<2 { tally.add(.failed(kind: "timeout"), microseconds: 10_000_000) }
        var configuration = LoadConfiguration(
            edge: HTTPEndpoint(host: "127.0.0.1", port: 1),
            caPath: "",
            tenants: [LoadTenant(id: "alpine", domain: "alpine.test", products: 300)]
        )
        configuration.maximumErrorShare = 0.01
        let report = LoadReport(
            configuration: configuration,
            startedAt: Date(),
            seconds: 1,
            total: tally,
            perTenant: ["alpine": tally],
            intervals: [],
            updates: 0,
            updateErrors: 0
        )
        let json = try #require(try JSONSerialization.jsonObject(with: report.json()) as? [String: Any])
        let budget = try #require(json["errorBudget"] as? [String: Any])
        #expect(budget["exceeded"] as? Bool == true)
        #expect(budget["share"] as? Double == 0.02)
        #expect(budget["maximumShare"] as? Double == 0.01)
        let settings = try #require(json["settings"] as? [String: Any])
        #expect(settings["catalogueSource"] as? String == "stack")
        #expect((settings["tenants"] as? [[String: Any]])?.first?["products"] as? Int == 300)
        #expect((json["overall"] as? [String: Any])?["errorCount"] as? Int == 2)
        let html = report.html()
        #expect(html.components(separatedBy: "Errors: 2 of 100 requests (2.00%)").count == 3)
        #expect(html.contains("timeout: 2") && html.contains("FAILED"))
    }
}
