import Testing

@testable import LoadGenerator

@Suite struct MetricsTextTests {
    /// Label values may hold braces, commas and escaped quotes (Hummingbird's route templates do).
    @Test func labelValuesWithBracesCommasAndQuotes() throws {
        let line = #"hb_requests{http_route="/products/{slug}",note="a \"b\", c}",http_response_status_code="404"} 12 1700000000"#
        let sample = try #require(MetricsText.sample(line[...]))
        #expect(sample.name == "hb_requests")
        #expect(sample.labels == ["http_route": "/products/{slug}", "note": #"a "b", c}"#, "http_response_status_code": "404"])
        #expect(sample.value == 12)
    }

    @Test func samplesWithoutLabelsCommentsAndJunk() {
        let text = """
            # HELP hb_requests requests
            # TYPE hb_requests counter
            hb_requests 3
            hb_requests{http_route="/x"} not-a-number
            hb_requests{http_route="/unterminated} 5
            hb_requests{http_route="/y"} 2.0e+01
            """
        #expect(MetricsText.samples(text, named: "hb_requests").map(\.value) == [3, 20])
    }

    /// Every storefront route counts, whatever its status, unmatched routes too; health checks, the
    /// tenant list and admin routes do not.
    @Test func storefrontRequestsLeaveOutOperationalRoutes() {
        let text = """
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/products/{slug}"} 10
            hb_requests{http_request_method="GET",http_response_status_code="304",http_route="/products/{slug}"} 2
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/api/products"} 1
            hb_requests{http_request_method="POST",http_response_status_code="201",http_route="/api/orders"} 1
            hb_requests{http_request_method="GET",http_response_status_code="404",http_route="NotFound"} 1
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/health"} 100
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/metrics"} 3
            hb_requests{http_request_method="GET",http_response_status_code="200",http_route="/internal/tenants"} 100
            hb_requests{http_request_method="PUT",http_response_status_code="200",http_route="/admin/products/{slug}"} 100
            hb_requests{http_request_method="POST",http_response_status_code="201",http_route="/admin/tenants"} 100
            """
        #expect(MetricsText.storefrontRequests(text) == 15)
    }

    @Test func productPagesAndEdgeCountsPerTenant() {
        let text = """
            storefront_origin_product_pages_total{tenant="alpine"} 7
            storefront_origin_product_pages_total{tenant="harbor"} 3
            storefront_edge_requests_total{tenant="alpine",cache="HIT"} 9
            storefront_edge_requests_total{cache="MISS",tenant="alpine"} 1
            """
        #expect(MetricsText.productPageRequests(text) == ["alpine": 7, "harbor": 3])
        #expect(MetricsText.edgeCounts(text) == ["alpine": ["HIT": 9, "MISS": 1]])
    }
}
