import Foundation

extension LoadReport {
    /// A self-contained page (inline SVG, no scripts or external files): the errors (above and below the
    /// tables, red when above the allowed share), settings, overall and per-tenant figures, and charts of hit
    /// ratio, p99 latency, requests and errors per second.
    public func html() -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
        func ms(_ value: Double) -> String { String(format: "%.2f ms", value) }
        func row(_ name: String, _ figures: Figures) -> String {
            let errors =
                figures.errors.isEmpty
                ? "0" : figures.errors.sorted { $0.key < $1.key }.map { "\(escape($0.key)): \($0.value)" }.joined(separator: "<br>")
            return "<tr><td>\(escape(name))</td><td>\(figures.requests)</td><td>\(String(format: "%.0f", figures.requestsPerSecond))</td>"
                + "<td>\(percent(figures.hitRatio))</td><td>\(percent(figures.edgeReportedHitRatio))</td><td>\(percent(figures.originObservedHitRatio))</td>"
                + "<td>\(figures.hits) / \(figures.misses) / \(figures.passes)</td>"
                + "<td>\(ms(figures.latency.p50))</td><td>\(ms(figures.latency.p95))</td><td>\(ms(figures.latency.p99))</td><td>\(ms(figures.latency.p999))</td>"
                + "<td>\(errors)</td></tr>"
        }
        let tenants = perTenant.sorted { $0.key < $1.key }.map { row($0.key, $0.value) }.joined()
        let hitChart = chart(
            title: "Hit ratio per second (X-Cache)",
            values: intervals.map { $0.hitRatio.map { $0 * 100 } },
            unit: "%",
            fixedMaximum: 100
        )
        let p99Chart = chart(title: "p99 latency per second", values: intervals.map { $0.p99Milliseconds }, unit: "ms", fixedMaximum: nil)
        let rateChart = chart(title: "Requests per second", values: intervals.map { Double($0.requests) }, unit: "req/s", fixedMaximum: nil)
        let errorChart = chart(title: "Errors per second", values: intervals.map { Double($0.errors) }, unit: "errors/s", fixedMaximum: nil)
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>storefront-load report</title>
            <style>
            body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
            th { background: #f4f4f4; } td:first-child { text-align: left; }
            .errors { padding: 0.6em 1em; border: 2px solid; font-size: 16px; }
            .errors.failed { border-color: #c00; background: #fee; color: #900; } .errors.passed { border-color: #8c8; background: #f4fff4; }
            .charts { display: flex; flex-wrap: wrap; gap: 2em; } figure { margin: 0; } figcaption { font-weight: 600; }
            </style></head><body>
            <h1>storefront-load</h1>
            \(errorBanner())
            <p>Started \(ISO8601DateFormatter().string(from: startedAt)), \(String(format: "%.1f", seconds)) s;
            \(settings.tenants.count) tenants (\(escape(catalogue))), Zipf exponent \(settings.zipfExponent),
            \(String(format: "%.0f", settings.uncacheableShare * 100))% uncacheable (cart cookie), \(settings.updatesPerSecond) product updates/s
            (\(updates) done, \(updateErrors) failed), \(settings.connections) connections, seed \(settings.seed).</p>
            <p>Hit ratio as the origins observed it (1 − storefront requests the origins served / requests sent):
            <b>\(percent(originObservedHitRatio))</b>\(originRequests.map { " (\($0) of \(overall.requests) requests reached the origins)" } ?? "").
            Hit ratio after \(String(format: "%.0f", warmUpSeconds)) s of warm-up (X-Cache): <b>\(percent(steadyHitRatio))</b>.</p>
            <p>Product pages only (the origins' per-tenant counter): \(percent(originProductPageHitRatio))\(originProductRequests.map { " (\($0) product pages of this run's tenants)" } ?? "").
            \(originNote.map { "<br><small>\(escape($0))</small>" } ?? "")</p>
            <table><tr><th>tenant</th><th>requests</th><th>req/s</th><th>hit ratio (X-Cache)</th><th>hit ratio (edge)</th><th>hit ratio (origins; per tenant: product pages)</th>
            <th>hits / misses / passes</th><th>p50</th><th>p95</th><th>p99</th><th>p99.9</th><th>errors</th></tr>
            \(row("all", overall))\(tenants)</table>
            \(errorBanner())
            <div class="charts">\(hitChart)\(p99Chart)\(rateChart)\(errorChart)</div>
            </body></html>
            """
    }

    /// How the run's tenants were sized, e.g. `alpine 300, harbor 300 products (from the stack)`.
    private var catalogue: String {
        let sizes = settings.tenants.map { "\($0.id) \($0.products.map { String($0) } ?? "?")" }.joined(separator: ", ")
        return "\(sizes) products (\(settings.catalogueSource == "stack" ? "from the stack" : "--products"))"
    }

    /// The errors, boxed in red when they are above the allowed share.
    private func errorBanner() -> String {
        let share = errorBudget.share.map { String(format: "%.2f%%", $0 * 100) } ?? "–"
        let kinds = overall.errors.sorted { $0.value > $1.value }.map { "\(escape($0.key)): \($0.value)" }.joined(separator: ", ")
        let verdict = errorBudget.exceeded ? "FAILED: above" : "within"
        return
            "<p class=\"errors \(errorBudget.exceeded ? "failed" : "passed")\"><b>Errors: \(overall.errorCount) of \(overall.requests) requests (\(share))</b>"
            + "\(kinds.isEmpty ? "" : " — \(kinds)"); \(verdict) the allowed \(String(format: "%.2f%%", errorBudget.maximumShare * 100))."
            + "\(updateErrors > 0 ? " \(updateErrors) product updates failed." : "")</p>"
    }

    private func chart(title: String, values: [Double?], unit: String, fixedMaximum: Double?) -> String {
        let width = 560.0
        let height = 220.0
        let left = 50.0
        let bottom = 30.0
        let present = values.compactMap { $0 }
        let maximum = fixedMaximum ?? max(1, (present.max() ?? 1) * 1.1)
        let step = values.count > 1 ? (width - left - 10) / Double(values.count - 1) : 0
        var path = ""
        var pen = false
        for (index, value) in values.enumerated() {
            guard let value else {
                pen = false
                continue
            }
            let x = left + Double(index) * step
            let y = (height - bottom) - (value / maximum) * (height - bottom - 10)
            path += String(format: "%@%.1f,%.1f ", pen ? "L" : "M", x, y)
            pen = true
        }
        var grid = ""
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let y = (height - bottom) - fraction * (height - bottom - 10)
            grid += String(format: "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left, width - 10, y, y)
            grid += String(
                format: "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%@</text>",
                left - 4,
                y + 3,
                String(format: "%.4g", maximum * fraction)
            )
        }
        let seconds = values.count
        return """
            <figure><figcaption>\(escape(title)) (\(escape(unit)))</figcaption>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" role="img">
            \(grid)<path d="\(path)" fill="none" stroke="#2a6fdb" stroke-width="1.5"/>
            <text x="\(Int(left))" y="\(Int(height - 8))" font-size="10">0 s</text>
            <text x="\(Int(width - 10))" y="\(Int(height - 8))" font-size="10" text-anchor="end">\(seconds) s</text>
            </svg></figure>
            """
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
