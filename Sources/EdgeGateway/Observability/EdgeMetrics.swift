import NIOConcurrencyHelpers
import Prometheus
import Shared

/// The edge's metrics, in one swift-prometheus registry exported on the admin `/metrics`: latency histograms
/// and response counters recorded as requests finish, and the series read from the edge's state at scrape
/// time (``ScrapedSeries``). Label sets are bounded: cache result, status class, tenant, origin.
final class EdgeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let requestDuration: [String: DurationHistogram]
    private let originDuration: DurationHistogram
    private let purgePropagation: DurationHistogram
    private let responses = NIOLockedValueBox<[ResponseKey: Counter]>([:])
    private let scraped: ScrapedSeries
    private let rateLimited: [RateLimiter.Reason: Counter]

    private struct ResponseKey: Hashable {
        var tenant: String
        var statusClass: Int
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    static let purgePropagationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    static var responsesDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "storefront_edge_responses",
            unitName: "total",
            helpText: "Responses per tenant by status class."
        )
    }

    init() {
        let requestDescriptor = MetricNameDescriptor(
            metricName: "storefront_edge_request_duration",
            unitName: "seconds",
            helpText: "Time from request head to response end, by cache result."
        )
        var durations: [String: DurationHistogram] = [:]
        for cache in ["HIT", "MISS", "PASS", "STALE", "COALESCED", "-"] {
            durations[cache] = registry.makeDurationHistogram(
                descriptor: requestDescriptor,
                labels: [("cache", cache)],
                buckets: Self.latencyBuckets
            )
        }
        requestDuration = durations
        originDuration = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                metricName: "storefront_edge_origin_duration",
                unitName: "seconds",
                helpText: "Origin fetch latency."
            ),
            buckets: Self.latencyBuckets
        )
        purgePropagation = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                metricName: "storefront_edge_purge_propagation",
                unitName: "seconds",
                helpText: "Time from an origin's purge event to its application here."
            ),
            buckets: Self.purgePropagationBuckets
        )
        scraped = ScrapedSeries(registry: registry)
        let rateLimitedDescriptor = MetricNameDescriptor(
            metricName: "storefront_edge_rate_limited",
            unitName: "total",
            helpText: "Requests refused with 429, by limit: client, tenant or login (failed logins)."
        )
        var limited: [RateLimiter.Reason: Counter] = [:]
        for reason in RateLimiter.Reason.allCases {
            limited[reason] = registry.makeCounter(descriptor: rateLimitedDescriptor, labels: [("limit", reason.rawValue)])
        }
        rateLimited = limited
    }

    /// A request refused by a rate limit.
    func recordRateLimited(_ reason: RateLimiter.Reason) {
        rateLimited[reason]?.increment()
    }

    /// One finished request: its duration under its cache result, its status class under its tenant.
    func recordRequest(tenant: String, status: Int, cache: String, nanoseconds: UInt64, originNanoseconds: UInt64?) {
        requestDuration[cache]?.recordNanoseconds(Int64(nanoseconds))
        if let originNanoseconds { originDuration.recordNanoseconds(Int64(originNanoseconds)) }
        let key = ResponseKey(tenant: tenant, statusClass: min(max(status / 100, 1), 5))
        let counter = responses.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.responsesDescriptor,
                labels: [("tenant", tenant), ("status", "\(key.statusClass)xx")]
            )
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// A purge event applied `seconds` after the origin published it.
    func recordPurgePropagation(seconds: Double) {
        purgePropagation.record(Duration.nanoseconds(Int64(max(0, seconds) * 1_000_000_000)))
    }

    /// The registry in the Prometheus text format, after bringing the scrape-time series in step with
    /// `samples` (the edge's state now).
    func exposition(collecting samples: [ScrapedSeries.Sample]) -> String {
        scraped.update(samples)
        return registry.emitToString()
    }
}
