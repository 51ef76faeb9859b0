import Foundation
import Histogram
import NIOConcurrencyHelpers

/// How one request ended, as the load tool saw it.
public enum RequestResult: Sendable {
    /// An answer with this status and `X-Cache` value (`nil` when absent).
    case answered(status: Int, cache: String?)
    /// No answer: timeout, connection failure, …
    case failed(kind: String)
}

/// Counters and a latency histogram for one tenant or for everything, over one interval or the whole run.
struct Tally: Sendable {
    var requests = 0
    var hits = 0
    var misses = 0
    var passes = 0
    var errors: [String: Int] = [:]
    var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    mutating func add(_ result: RequestResult, microseconds: UInt64) {
        requests += 1
        _ = latency.record(max(1, microseconds))
        switch result {
        case .answered(let status, let cache):
            if status >= 400 { errors["status \(status)", default: 0] += 1 }
            switch cache {
            case "HIT", "STALE", "COALESCED": hits += 1
            case "MISS": misses += 1
            default: passes += 1
            }
        case .failed(let kind):
            errors[kind, default: 0] += 1
        }
    }

    mutating func merge(_ other: Tally) {
        requests += other.requests
        hits += other.hits
        misses += other.misses
        passes += other.passes
        for (kind, count) in other.errors { errors[kind, default: 0] += count }
        latency.add(other.latency)
    }

    /// Failed requests, all kinds.
    var errorCount: Int { errors.values.reduce(0, +) }

    /// Hits over cacheable answers (passes excluded), as `X-Cache` reported them.
    var hitRatio: Double? {
        hits + misses > 0 ? Double(hits) / Double(hits + misses) : nil
    }

    func milliseconds(atPercentile percentile: Double) -> Double {
        latency.totalCount == 0 ? 0 : Double(latency.valueAtPercentile(percentile)) / 1000
    }
}

/// Collects results from every worker; rotates a per-second interval for the live view and the chart.
final class LoadStatistics: Sendable {
    private struct State {
        var total = Tally()
        var perTenant: [String: Tally] = [:]
        var interval = Tally()
        var intervals: [IntervalPoint] = []
        var updates = 0
        var updateErrors = 0
    }

    private let state = NIOLockedValueBox(State())
    private let started = Date()

    func record(tenant: String, result: RequestResult, microseconds: UInt64) {
        state.withLockedValue { state in
            state.total.add(result, microseconds: microseconds)
            state.perTenant[tenant, default: Tally()].add(result, microseconds: microseconds)
            state.interval.add(result, microseconds: microseconds)
        }
    }

    func recordUpdate(succeeded: Bool) {
        state.withLockedValue { state in
            if succeeded { state.updates += 1 } else { state.updateErrors += 1 }
        }
    }

    /// Closes the current interval and returns it.
    func rotate() -> IntervalPoint {
        let elapsed = Date().timeIntervalSince(started)
        return state.withLockedValue { state in
            let interval = state.interval
            let point = IntervalPoint(
                second: elapsed,
                requests: interval.requests,
                hitRatio: interval.hitRatio,
                hits: interval.hits,
                misses: interval.misses,
                p99Milliseconds: interval.milliseconds(atPercentile: 99),
                errors: interval.errorCount,
                requestsSoFar: state.total.requests,
                errorsSoFar: state.total.errorCount
            )
            state.intervals.append(point)
            state.interval = Tally()
            return point
        }
    }

    var snapshot: (total: Tally, perTenant: [String: Tally], intervals: [IntervalPoint], updates: Int, updateErrors: Int) {
        state.withLockedValue { ($0.total, $0.perTenant, $0.intervals, $0.updates, $0.updateErrors) }
    }
}

/// One second of the run, for the live view and the report's chart.
public struct IntervalPoint: Codable, Sendable {
    public var second: Double
    public var requests: Int
    public var hitRatio: Double?
    /// Hits and misses in this second (passes excluded), for ratios over several seconds.
    public var hits: Int
    public var misses: Int
    public var p99Milliseconds: Double
    /// Failed requests in this second.
    public var errors: Int
    /// Requests and failed requests since the start, for the live view's running error share.
    public var requestsSoFar = 0
    public var errorsSoFar = 0

    /// The running error share (errors so far over requests so far).
    public var errorShareSoFar: Double? {
        requestsSoFar > 0 ? Double(errorsSoFar) / Double(requestsSoFar) : nil
    }
}
