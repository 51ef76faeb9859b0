/// The `/metrics` texts of the edge and of each origin at one moment; `nil` where it could not be read.
public struct ServerMetrics: Sendable, Equatable {
    public var edge: String?
    /// One per origin admin listener, in the configuration's order.
    public var origins: [String?]

    public init(edge: String?, origins: [String?]) {
        self.edge = edge
        self.origins = origins
    }
}

extension LoadReport {
    /// Fills in the edge's and the origins' own counts from `/metrics` texts taken before and after the run.
    ///
    /// The headline origin figure is 1 − (storefront requests the origins served / requests sent): every
    /// request that reached an origin counts, whether a miss, a pass, an error or a revalidation.
    public mutating func addServerView(before: ServerMetrics, after: ServerMetrics) {
        if let edgeBefore = before.edge, let edgeAfter = after.edge {
            addEdgeView(before: edgeBefore, after: edgeAfter)
        }
        guard !after.origins.isEmpty else { return }
        let pairs = zip(before.origins, after.origins).enumerated()
        let unread = pairs.filter { $0.element.0 == nil || $0.element.1 == nil }.map { "#\($0.offset + 1)" }
        guard unread.isEmpty, before.origins.count == after.origins.count else {
            originNote = "no origin figures: /metrics of origin \(unread.joined(separator: ", ")) could not be read"
            return
        }
        var served = 0
        var pages: [String: Int] = [:]
        for (start, end) in zip(before.origins.compactMap { $0 }, after.origins.compactMap { $0 }) {
            served += MetricsText.storefrontRequests(end) - MetricsText.storefrontRequests(start)
            let startPages = MetricsText.productPageRequests(start)
            for (tenant, count) in MetricsText.productPageRequests(end) { pages[tenant, default: 0] += count - (startPages[tenant] ?? 0) }
        }
        addOriginView(served: served, productPages: pages)
    }

    private mutating func addEdgeView(before: String, after: String) {
        let before = MetricsText.edgeCounts(before)
        let after = MetricsText.edgeCounts(after)
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
    }

    /// - Parameters:
    ///   - served: storefront requests the origins served (every tenant's).
    ///   - productPages: product pages they served, per tenant (every tenant's).
    mutating func addOriginView(served: Int, productPages: [String: Int]) {
        func observed(_ reached: Int, of sent: Int) -> Double? { sent > 0 ? 1 - Double(reached) / Double(sent) : nil }
        let runTenants = Set(perTenant.keys)
        let runPages = productPages.filter { runTenants.contains($0.key) }.values.reduce(0, +)
        let otherPages = productPages.filter { !runTenants.contains($0.key) }.values.reduce(0, +)
        originRequests = served
        originObservedHitRatio = observed(served, of: overall.requests)
        overall.originObservedHitRatio = originObservedHitRatio
        originProductRequests = runPages
        originProductPageHitRatio = observed(runPages, of: overall.requests)
        for (tenant, figures) in perTenant {
            perTenant[tenant]?.originObservedHitRatio = observed(productPages[tenant] ?? 0, of: figures.requests)
        }
        var note =
            "the origins' request counter has no tenant label: the headline counts every tenant's storefront "
            + "requests during the run (health checks, tenant lists and admin requests left out); per tenant, "
            + "only product pages are counted"
        if otherPages > 0 { note += "; \(otherPages) product pages of tenants outside this run reached the origins meanwhile" }
        originNote = note
    }
}
