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
        /// Failed requests: answers with status ≥ 400, timeouts, failed connections.
        public var errorCount: Int
        /// ``errorCount`` by kind (`status 404`, `timeout`, …).
        public var errors: [String: Int]
        /// Milliseconds.
        public var latency: Latency
        /// The edge's own count for this tenant over the run (`/metrics`), when it was scraped.
        public var edgeReportedHitRatio: Double?
        /// 1 − requests that reached the origins / requests sent. Overall: every storefront request the
        /// origins served (the report's headline); per tenant: the product pages they served for that
        /// tenant (the only origin counter with a tenant label).
        public var originObservedHitRatio: Double?
    }

    public struct Settings: Codable, Sendable {
        /// The tenants, each with the catalogue size the run used.
        public var tenants: [LoadTenant]
        /// Where the catalogue sizes came from: `stack` (each tenant's, asked through the cache) or
        /// `--products` (one size for every tenant without its own).
        public var catalogueSource: String
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
    /// The error share and whether it is above the allowed maximum (then the tool exits non-zero).
    public var errorBudget: ErrorBudget
    /// 1 − (storefront requests the origins served during the run / requests sent), from the origins'
    /// `/metrics`: the hit ratio as the origins observed it, whatever the reason a request reached them
    /// (miss, pass, error, revalidation). `nil` when the origins were not scraped.
    public var originObservedHitRatio: Double?
    /// Storefront requests the origins served during the run (every tenant's: see ``originNote``).
    public var originRequests: Int?
    /// What ``originRequests`` counts and what it cannot tell apart.
    public var originNote: String?
    /// Product pages the origins served for the run's tenants (their per-tenant product-page counter).
    public var originProductRequests: Int?
    /// 1 − ``originProductRequests`` / requests sent: the same ratio from the product-page counter alone.
    public var originProductPageHitRatio: Double?
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
                errorCount: tally.errorCount,
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
            tenants: configuration.tenants.map { tenant in
                var tenant = tenant
                tenant.products = configuration.products(of: tenant)
                return tenant
            },
            catalogueSource: configuration.products == nil ? "stack" : "--products",
            zipfExponent: configuration.zipfExponent,
            uncacheableShare: configuration.uncacheableShare,
            updatesPerSecond: configuration.updatesPerSecond,
            connections: configuration.connections,
            seed: configuration.seed
        )
        self.overall = figures(total)
        self.perTenant = perTenant.mapValues(figures)
        self.errorBudget = ErrorBudget(errors: total.errorCount, requests: total.requests, maximumShare: configuration.maximumErrorShare)
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

    /// The report as pretty-printed JSON with sorted keys and ISO 8601 dates.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
