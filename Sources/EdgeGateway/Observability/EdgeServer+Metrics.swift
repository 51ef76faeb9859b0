extension EdgeServer {
    /// The edge's metrics in the Prometheus text format, all from one swift-prometheus registry: latency
    /// histograms and responses by status class (recorded as requests finish), and the series read from the
    /// edge's state now (per tenant requests by cache result, hit ratio over the last minute, stored objects
    /// and bytes, evictions and purges; coalesced waiters; origin pool health and load).
    public func metricsText() -> String {
        runtime.metrics.exposition(collecting: runtime.metricSamples())
    }
}
