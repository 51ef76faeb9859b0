import NIOConcurrencyHelpers
import Prometheus
import Shared

/// Latency histograms and response counters of the edge, in a swift-prometheus registry exported on the
/// admin `/metrics` beside the cache's per-tenant counters. Label sets are bounded: cache result, status
/// class, tenant.
final class EdgeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let requestDuration: [String: DurationHistogram]
    private let originDuration: DurationHistogram
    private let purgePropagation: DurationHistogram
    private let responses = NIOLockedValueBox<[ResponseKey: Counter]>([:])

    private struct ResponseKey: Hashable {
        var tenant: String
        var statusClass: Int
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    init() {
        var durations: [String: DurationHistogram] = [:]
        for cache in ["HIT", "MISS", "PASS", "STALE", "COALESCED", "-"] {
            durations[cache] = registry.makeDurationHistogram(
                name: "storefront_edge_request_duration_seconds",
                labels: [("cache", cache)],
                buckets: Self.latencyBuckets
            )
        }
        requestDuration = durations
        originDuration = registry.makeDurationHistogram(name: "storefront_edge_origin_duration_seconds", buckets: Self.latencyBuckets)
        purgePropagation = registry.makeDurationHistogram(
            name: "storefront_edge_purge_propagation_seconds",
            buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)]
        )
    }

    /// One finished request: its duration under its cache result, its status class under its tenant.
    func recordRequest(tenant: String, status: Int, cache: String, nanoseconds: UInt64, originNanoseconds: UInt64?) {
        requestDuration[cache]?.recordNanoseconds(Int64(nanoseconds))
        if let originNanoseconds { originDuration.recordNanoseconds(Int64(originNanoseconds)) }
        let key = ResponseKey(tenant: tenant, statusClass: min(max(status / 100, 1), 5))
        let counter = responses.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                name: "storefront_edge_responses_total",
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

    func emit(into text: inout String) {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }
}
