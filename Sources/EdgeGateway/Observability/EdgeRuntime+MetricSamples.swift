import EdgeCore
import Shared

/// The families `/metrics` reads from the edge's state at scrape time (names, labels and types are what the
/// load tool, the dashboard and the tests read).
extension ScrapedSeries.Family {
    static let requests = Self(
        name: "storefront_edge_requests_total",
        kind: .counter,
        help: "Requests per tenant by cache result."
    )
    static let foreignTenantResponses = Self(
        name: "storefront_edge_foreign_tenant_responses_total",
        kind: .counter,
        help: "Origin responses stamped for another tenant, dropped."
    )
    static let unstampedResponses = Self(
        name: "storefront_edge_unstamped_responses_total",
        kind: .counter,
        help: "Origin responses without the tenant stamp, served but not stored (production mode)."
    )
    static let hitRatio = Self(
        name: "storefront_edge_hit_ratio",
        kind: .gauge,
        help: "Hits over cacheable requests in the last minute."
    )
    static let cacheObjects = Self(name: "storefront_edge_cache_objects", kind: .gauge, help: "Objects stored now.")
    static let cacheBytes = Self(
        name: "storefront_edge_cache_bytes",
        kind: .gauge,
        help: "Bytes stored now, as the cache budget counts them."
    )
    static let cacheEvictions = Self(
        name: "storefront_edge_cache_evictions_total",
        kind: .counter,
        help: "Objects evicted to keep to the budget."
    )
    static let cachePurged = Self(name: "storefront_edge_cache_purged_total", kind: .counter, help: "Objects purged.")
    static let coalescedWaiters = Self(
        name: "storefront_edge_coalesced_waiters",
        kind: .gauge,
        help: "Requests waiting now on another request's origin fetch."
    )
    static let originUp = Self(
        name: "storefront_edge_origin_up",
        kind: .gauge,
        help: "1 when the origin is healthy and not ejected."
    )
    static let originOutstanding = Self(
        name: "storefront_edge_origin_outstanding",
        kind: .gauge,
        help: "Requests in flight to the origin."
    )
    static let originRequests = Self(
        name: "storefront_edge_origin_requests_total",
        kind: .counter,
        help: "Requests sent to the origin."
    )
    static let originEjections = Self(
        name: "storefront_edge_origin_ejections_total",
        kind: .counter,
        help: "Times the origin was ejected."
    )
}

extension EdgeRuntime {
    /// The edge's state as metric samples: per tenant requests by cache result, foreign-tenant responses, hit
    /// ratio over the last minute, stored objects and bytes, evictions and purges; coalesced waiters now; per
    /// origin health, load, requests and ejections.
    func metricSamples() -> [ScrapedSeries.Sample] {
        let now = self.now()
        var samples: [ScrapedSeries.Sample] = []
        for (tenant, counters) in statistics.totals {
            let label = ("tenant", "\(tenant)")
            for (result, count) in [
                ("HIT", counters.hits), ("MISS", counters.misses), ("PASS", counters.passes),
                ("COALESCED", counters.coalesced), ("STALE", counters.stale),
            ] {
                samples.append(.init(.requests, [label, ("cache", result)], count))
            }
            samples.append(.init(.foreignTenantResponses, [label], counters.foreignTenantResponses))
            samples.append(.init(.unstampedResponses, [label], counters.unstampedResponses))
        }
        for (tenant, ratio) in statistics.hitRatios(now: now) {
            samples.append(.init(.hitRatio, [("tenant", "\(tenant)"), ("window", "60s")], ratio))
        }
        for (tenant, usage) in cache.tenantUsage {
            let labels = [("tenant", "\(tenant)")]
            samples.append(.init(.cacheObjects, labels, usage.objects))
            samples.append(.init(.cacheBytes, labels, usage.bytes))
            samples.append(.init(.cacheEvictions, labels, usage.evictions))
            samples.append(.init(.cachePurged, labels, usage.purged))
        }
        samples.append(.init(.coalescedWaiters, [], coalescer.waiting))
        for member in pool.members {
            let labels = [("origin", "\(member.endpoint)")]
            samples.append(.init(.originUp, labels, member.healthy && member.ejectedUntil <= now ? 1 : 0))
            samples.append(.init(.originOutstanding, labels, member.outstanding))
            samples.append(.init(.originRequests, labels, member.requests))
            samples.append(.init(.originEjections, labels, member.ejections))
        }
        return samples
    }
}
