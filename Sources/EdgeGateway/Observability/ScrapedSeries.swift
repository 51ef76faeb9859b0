import Prometheus
import Synchronization

/// Series whose source of truth is the edge's own state (request totals, cache usage, the origin pool),
/// copied into the Prometheus registry when `/metrics` is scraped, so the request path never touches the
/// registry for them.
///
/// A counter advances by what its source counted since the last scrape (and starts again from zero if its
/// source did, such as an origin that left the pool and came back); a gauge is set; a series whose source is
/// gone (an origin no longer in the pool, a tenant without a recent hit ratio) leaves the registry.
final class ScrapedSeries: Sendable {
    /// A metric family fed from the edge's state.
    struct Family: Sendable {
        enum Kind: Sendable { case counter, gauge }

        let name: String
        let kind: Kind
        let help: String

        var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
    }

    /// One value of a family read from the edge's state.
    struct Sample {
        let family: Family
        let labels: [(String, String)]
        let value: Double

        init(_ family: Family, _ labels: [(String, String)] = [], _ value: Double) {
            self.family = family
            self.labels = labels
            self.value = value
        }

        init(_ family: Family, _ labels: [(String, String)] = [], _ value: Int) {
            self.init(family, labels, Double(value))
        }
    }

    private struct Key: Hashable {
        let name: String
        let labels: [String]
    }

    private enum Series {
        case counter(Counter, exported: Int64)
        case gauge(Gauge)
    }

    private let registry: PrometheusCollectorRegistry
    private let series = Mutex<[Key: Series]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Brings the registry in step with `samples`: every family's full set of series as of now.
    func update(_ samples: [Sample]) {
        series.withLock { series in
            var seen = Set<Key>()
            for sample in samples {
                let key = Key(name: sample.family.name, labels: sample.labels.flatMap { [$0.0, $0.1] })
                seen.insert(key)
                series[key] = updated(series[key], with: sample)
            }
            for (key, stale) in series where !seen.contains(key) {
                switch stale {
                case .counter(let counter, _): registry.unregisterCounter(counter)
                case .gauge(let gauge): registry.unregisterGauge(gauge)
                }
                series[key] = nil
            }
        }
    }

    private func updated(_ existing: Series?, with sample: Sample) -> Series {
        switch sample.family.kind {
        case .counter:
            let total = Int64(sample.value)
            guard case .counter(let counter, let exported) = existing else {
                let counter = registry.makeCounter(descriptor: sample.family.descriptor, labels: sample.labels)
                counter.increment(by: total)
                return .counter(counter, exported: total)
            }
            if total >= exported {
                counter.increment(by: total - exported)
            } else {
                counter.reset()
                counter.increment(by: total)
            }
            return .counter(counter, exported: total)
        case .gauge:
            guard case .gauge(let gauge) = existing else {
                let gauge = registry.makeGauge(descriptor: sample.family.descriptor, labels: sample.labels)
                gauge.set(sample.value)
                return .gauge(gauge)
            }
            gauge.set(sample.value)
            return .gauge(gauge)
        }
    }
}
