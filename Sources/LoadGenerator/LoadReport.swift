import Foundation

/// What a run measured: written as JSON and as a self-contained HTML page.
public struct LoadReport: Codable, Sendable {
    public struct Latency: Codable, Sendable {
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var p999: Double
        public var max: Double
    }

    public struct Figures: Codable, Sendable {
        public var requests: Int
        public var requestsPerSecond: Double
        /// Hits (incl. stale and coalesced) over cacheable answers, from each response's `X-Cache`.
        public var hitRatio: Double?
        public var hits: Int
        public var misses: Int
        public var passes: Int
        public var errors: [String: Int]
        /// Milliseconds.
        public var latency: Latency
        /// The edge's own count for this tenant over the run (`/metrics`), when it was scraped.
        public var edgeReportedHitRatio: Double?
        /// Hits over cacheable requests as the origins count them (product pages that reached them, less
        /// the passes, are the misses).
        public var originObservedHitRatio: Double?
    }

    public struct Settings: Codable, Sendable {
        public var tenants: [LoadTenant]
        public var products: Int
        public var zipfExponent: Double
        public var uncacheableShare: Double
        public var updatesPerSecond: Double
        public var connections: Int
        public var seed: UInt64
    }

    public var startedAt: Date
    public var seconds: Double
    public var settings: Settings
    public var overall: Figures
    public var perTenant: [String: Figures]
    /// Origin product-page requests over cacheable requests sent, from the origins' `/metrics` (1 − that is
    /// the hit ratio the origins observe); when scraped.
    public var originObservedHitRatio: Double?
    public var originProductRequests: Int?
    public var updates: Int
    public var updateErrors: Int
    public var intervals: [IntervalPoint]
    /// Seconds left out of ``steadyHitRatio``.
    public var warmUpSeconds: Double
    /// Hits over hits and misses (X-Cache) after the warm-up: the hit ratio once the cache is filled.
    public var steadyHitRatio: Double?

    init(
        configuration: LoadConfiguration,
        startedAt: Date,
        seconds: Double,
        total: Tally,
        perTenant: [String: Tally],
        intervals: [IntervalPoint],
        updates: Int,
        updateErrors: Int
    ) {
        func figures(_ tally: Tally) -> Figures {
            Figures(
                requests: tally.requests,
                requestsPerSecond: seconds > 0 ? Double(tally.requests) / seconds : 0,
                hitRatio: tally.hitRatio,
                hits: tally.hits,
                misses: tally.misses,
                passes: tally.passes,
                errors: tally.errors,
                latency: Latency(
                    p50: tally.milliseconds(atPercentile: 50),
                    p95: tally.milliseconds(atPercentile: 95),
                    p99: tally.milliseconds(atPercentile: 99),
                    p999: tally.milliseconds(atPercentile: 99.9),
                    max: tally.latency.totalCount == 0 ? 0 : Double(tally.latency.max) / 1000
                ),
                edgeReportedHitRatio: nil,
                originObservedHitRatio: nil
            )
        }
        self.startedAt = startedAt
        self.seconds = seconds
        self.settings = Settings(
            tenants: configuration.tenants,
            products: configuration.products,
            zipfExponent: configuration.zipfExponent,
            uncacheableShare: configuration.uncacheableShare,
            updatesPerSecond: configuration.updatesPerSecond,
            connections: configuration.connections,
            seed: configuration.seed
        )
        self.overall = figures(total)
        self.perTenant = perTenant.mapValues(figures)
        self.intervals = intervals
        self.warmUpSeconds = Double(configuration.warmUp.components.seconds)
        self.steadyHitRatio = Self.hitRatio(of: intervals, after: warmUpSeconds)
        self.updates = updates
        self.updateErrors = updateErrors
    }

    /// Hits over hits and misses of the intervals that end after `second`.
    static func hitRatio(of intervals: [IntervalPoint], after second: Double) -> Double? {
        let counted = intervals.filter { $0.second > second + 0.5 }
        let hits = counted.reduce(0) { $0 + $1.hits }
        let lookups = hits + counted.reduce(0) { $0 + $1.misses }
        return lookups > 0 ? Double(hits) / Double(lookups) : nil
    }

    /// Fills in the edge's and the origins' own counts from `/metrics` texts taken before and after the run.
    public mutating func addServerView(edgeBefore: String, edgeAfter: String, originsBefore: [String], originsAfter: [String]) {
        let before = MetricsText.edgeCounts(edgeBefore)
        let after = MetricsText.edgeCounts(edgeAfter)
        var totalHits = 0
        var totalLookups = 0
        for tenant in perTenant.keys {
            let hits = ["HIT", "COALESCED", "STALE"].reduce(0) { $0 + (after[tenant]?[$1] ?? 0) - (before[tenant]?[$1] ?? 0) }
            let misses = (after[tenant]?["MISS"] ?? 0) - (before[tenant]?["MISS"] ?? 0)
            totalHits += hits
            totalLookups += hits + misses
            if hits + misses > 0 { perTenant[tenant]?.edgeReportedHitRatio = Double(hits) / Double(hits + misses) }
        }
        if totalLookups > 0 { overall.edgeReportedHitRatio = Double(totalHits) / Double(totalLookups) }
        guard !originsAfter.isEmpty else { return }
        var originPages: [String: Int] = [:]
        for (before, after) in zip(originsBefore, originsAfter) {
            let start = MetricsText.productPageRequests(before)
            for (tenant, count) in MetricsText.productPageRequests(after) { originPages[tenant, default: 0] += count - (start[tenant] ?? 0) }
        }
        // Passes (cart requests) reach the origin by design; the rest are cache misses as the origin sees them.
        func observed(_ figures: Figures, originRequests: Int) -> Double? {
            let cacheable = figures.hits + figures.misses
            guard cacheable > 0 else { return nil }
            return max(0, 1 - Double(max(0, originRequests - figures.passes)) / Double(cacheable))
        }
        for (tenant, figures) in perTenant {
            perTenant[tenant]?.originObservedHitRatio = observed(figures, originRequests: originPages[tenant] ?? 0)
        }
        let originRequests = perTenant.keys.reduce(0) { $0 + (originPages[$1] ?? 0) }
        originProductRequests = originRequests
        originObservedHitRatio = observed(overall, originRequests: originRequests)
        overall.originObservedHitRatio = originObservedHitRatio
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}

/// Reading the counters the load tool needs from Prometheus text.
enum MetricsText {
    /// `storefront_edge_requests_total{tenant="t",cache="C"} n` → [t: [C: n]].
    static func edgeCounts(_ text: String) -> [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("storefront_edge_requests_total{") {
            guard let labels = labels(of: line), let tenant = labels["tenant"], let cache = labels["cache"],
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            counts[tenant, default: [:]][cache] = Int(value)
        }
        return counts
    }

    /// The origins' product-page requests per tenant (`storefront_origin_product_pages_total`).
    static func productPageRequests(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("storefront_origin_product_pages_total{") {
            guard let labels = labels(of: line), let tenant = labels["tenant"],
                let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            counts[tenant, default: 0] += Int(value)
        }
        return counts
    }

    private static func labels(of line: Substring) -> [String: String]? {
        guard let open = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}") else { return nil }
        var labels: [String: String] = [:]
        for pair in line[line.index(after: open)..<close].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = String(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
        return labels
    }
}
