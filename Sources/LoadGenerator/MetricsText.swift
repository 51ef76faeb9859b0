/// Reading the counters the load tool needs from Prometheus text exposition.
enum MetricsText {
    /// One sample line: `name{label="value",…} value`.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The samples of the metric `name` (comment lines and other metrics are skipped, as are lines that do
    /// not parse).
    static func samples(_ text: String, named name: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(name), let sample = sample(line), sample.name == name else { return nil }
            return sample
        }
    }

    /// Parses one sample line; label values may hold `{`, `}`, `,` and escaped quotes (Hummingbird's
    /// route label is a template such as `/products/{slug}`).
    static func sample(_ line: Substring) -> Sample? {
        guard let first = line.first, first != "#" else { return nil }
        var index = line.startIndex
        while index < line.endIndex, line[index] != "{", line[index] != " " { index = line.index(after: index) }
        let name = String(line[..<index])
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == "{" {
            guard let (parsed, end) = parseLabels(line, from: line.index(after: index)) else { return nil }
            labels = parsed
            index = end
        }
        let fields = line[index...].split(separator: " ")
        guard !name.isEmpty, let raw = fields.first, let value = Double(raw) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Labels from just after `{` to the closing `}`; returns them and the index after the `}`.
    private static func parseLabels(_ line: Substring, from start: Substring.Index) -> ([String: String], Substring.Index)? {
        var labels: [String: String] = [:]
        var index = start
        while index < line.endIndex {
            if line[index] == "}" { return (labels, line.index(after: index)) }
            if line[index] == "," || line[index] == " " {
                index = line.index(after: index)
                continue
            }
            guard let equals = line[index...].firstIndex(of: "=") else { return nil }
            let key = String(line[index..<equals])
            index = line.index(after: equals)
            guard index < line.endIndex, line[index] == "\"" else { return nil }
            index = line.index(after: index)
            var value = ""
            while index < line.endIndex, line[index] != "\"" {
                if line[index] == "\\", line.index(after: index) < line.endIndex {
                    index = line.index(after: index)
                    value.append(line[index] == "n" ? "\n" : line[index])
                } else {
                    value.append(line[index])
                }
                index = line.index(after: index)
            }
            guard index < line.endIndex else { return nil }
            labels[key] = value
            index = line.index(after: index)
        }
        return nil
    }

    /// `storefront_edge_requests_total{tenant="t",cache="C"} n` → [t: [C: n]].
    static func edgeCounts(_ text: String) -> [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        for sample in samples(text, named: "storefront_edge_requests_total") {
            guard let tenant = sample.labels["tenant"], let cache = sample.labels["cache"] else { continue }
            counts[tenant, default: [:]][cache, default: 0] += Int(sample.value)
        }
        return counts
    }

    /// The origins' product-page requests per tenant (`storefront_origin_product_pages_total{tenant}`).
    static func productPageRequests(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for sample in samples(text, named: "storefront_origin_product_pages_total") {
            guard let tenant = sample.labels["tenant"] else { continue }
            counts[tenant, default: 0] += Int(sample.value)
        }
        return counts
    }

    /// Every storefront request an origin served, from Hummingbird's request counter (`hb_requests`, one
    /// series per route template, method and status; any status, unmatched routes included).
    ///
    /// Left out: the routes that no shopper's request reaches through a cache — `/health` (the edges'
    /// health checks), `/metrics` (scrapes, the load tool's own among them), `/internal/…` (the edges' tenant
    /// list) and `/admin/…` (platform and tenant administration, e.g. the load tool's own product updates,
    /// which go to the origins directly). The
    /// counter has no tenant label: this is every tenant's traffic, not only the run's.
    static func storefrontRequests(_ text: String) -> Int {
        samples(text, named: "hb_requests").reduce(0) { total, sample in
            let route = sample.labels["http_route"] ?? ""
            let excluded = route == "/health" || route == "/metrics" || route.hasPrefix("/internal") || route.hasPrefix("/admin")
            return excluded ? total : total + Int(sample.value)
        }
    }
}
