import Foundation
import LoadGenerator

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the command prints: the plan and the live progress on stderr, the summary on stdout. Errors come
/// first and last in the summary, and in red on a terminal.
enum Summary {
    /// The run's plan, with each tenant's catalogue size and where it came from.
    static func announce(_ configuration: LoadConfiguration, seconds: Int) {
        let source = configuration.products == nil ? "asked of the stack" : "--products"
        let sizes = configuration.tenants.map { "\($0.id) (\($0.domain)): \(configuration.products(of: $0)) products" }
        let lines =
            ["storefront-load: catalogue \(source):"] + sizes.map { "  " + $0 }
            + [
                "storefront-load: \(configuration.tenants.count) tenants, zipf \(configuration.zipfExponent), "
                    + "\(configuration.connections) connections, \(seconds) s; fails above "
                    + "\(percent(configuration.maximumErrorShare, digits: 2)) errors"
            ]
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// One second of the run; errors in it (and the running share) are spelled out in capitals.
    static func progress(_ point: IntervalPoint) {
        let ratio = point.hitRatio.map { String(format: "%5.1f%%", $0 * 100) } ?? "    –"
        var line = String(format: "%4.0f s  %7d req/s  hit %@  p99 %7.2f ms", point.second, point.requests, ratio, point.p99Milliseconds)
        if point.errorsSoFar > 0 {
            let errors = "  ERRORS \(point.errors) this second, \(point.errorsSoFar) so far (\(percent(point.errorShareSoFar, digits: 2)))"
            line += highlighted(errors, standardError: true)
        } else {
            line += "  errors 0"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The summary: errors; requests and hit ratios (the origins' view first); latency; the product-page
    /// view and what the origin figures cannot tell apart; per tenant; errors again; where the report is.
    static func print(_ report: LoadReport, out: String) {
        let overall = report.overall
        let errors = errorLine(report)
        let reached = report.originRequests.map { "\($0) of \(overall.requests) reached the origins" } ?? "origins not scraped"
        Swift.print(errors)
        Swift.print(
            String(format: "%d requests in %.1f s: %.0f req/s; ", overall.requests, report.seconds, overall.requestsPerSecond)
                + "hit ratio as the origins observed it \(percent(report.originObservedHitRatio)) (\(reached)); "
                + "from X-Cache \(percent(overall.hitRatio)), after \(Int(report.warmUpSeconds)) s of warm-up \(percent(report.steadyHitRatio)); "
                + "as the edge counted it \(percent(overall.edgeReportedHitRatio))"
        )
        Swift.print(
            String(
                format: "latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; product updates %d (%d failed)",
                overall.latency.p50,
                overall.latency.p95,
                overall.latency.p99,
                overall.latency.p999,
                report.updates,
                report.updateErrors
            )
        )
        if let pages = report.originProductRequests {
            let rate = report.seconds > 0 ? Double(pages) / report.seconds : 0
            Swift.print(
                String(format: "  product pages only (the origins' per-tenant counter): %d reached the origins, %.0f req/s: ", pages, rate)
                    + percent(report.originProductPageHitRatio)
            )
        }
        if let note = report.originNote { Swift.print("  note: \(note)") }
        for (tenant, figures) in report.perTenant.sorted(by: { $0.key < $1.key }) {
            Swift.print(
                "  \(tenant): \(figures.requests) requests, \(figures.errorCount) errors, hit ratio \(percent(figures.hitRatio)) (X-Cache), "
                    + "\(percent(figures.edgeReportedHitRatio)) (edge), \(percent(figures.originObservedHitRatio)) (origins, product pages), "
                    + String(format: "p99 %.2f ms", figures.latency.p99)
            )
        }
        Swift.print(errors)
        Swift.print("report: \(out)/report.json, \(out)/report.html")
    }

    /// `errors: none …`, or `ERRORS: n of m requests (x%) — status 404: n; …` and whether the run failed.
    static func errorLine(_ report: LoadReport) -> String {
        let budget = report.errorBudget
        let allowed = percent(budget.maximumShare, digits: 2)
        let overall = report.overall
        guard overall.errorCount > 0 || budget.exceeded else {
            return "errors: none of \(overall.requests) requests (allowed: \(allowed))"
        }
        let kinds = overall.errors.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let verdict =
            budget.exceeded
            ? "above the allowed \(allowed): the run FAILED (exit status 2) and its figures describe errors, not the cache"
            : "within the allowed \(allowed)"
        let line =
            "ERRORS: \(overall.errorCount) of \(overall.requests) requests (\(percent(budget.share, digits: 2))) — \(kinds.isEmpty ? "no requests" : kinds); \(verdict)"
        return budget.exceeded ? highlighted(line, standardError: false) : line
    }

    static func percent(_ value: Double?, digits: Int = 1) -> String {
        value.map { String(format: "%.\(digits)f%%", $0 * 100) } ?? "–"
    }

    /// Red on a terminal, plain otherwise.
    private static func highlighted(_ text: String, standardError: Bool) -> String {
        isatty(standardError ? 2 : 1) != 0 ? "\u{1B}[1;31m\(text)\u{1B}[0m" : text
    }
}
