/// Counts a fault run's reads, orders and order retries into a ``FaultReport``.
///
/// Pure: the caller says how each request ended and when it was sent (seconds since the run began), so the
/// counts, the failure window and the timeline are tested without a network or a clock.
public struct FaultTally: Sendable {
    private let keyPrefix: String
    private var counts = FaultReport()
    private var seconds: [Int: FaultReport.Second] = [:]
    private var acknowledged: [Int] = []
    private var failedOrders: Set<Int> = []
    private var recovered: [Int] = []

    /// - Parameters:
    ///   - keyPrefix: the run's prefix of idempotency keys (`<prefix>-<n>`).
    public init(keyPrefix: String) {
        self.keyPrefix = keyPrefix
    }

    /// Counts one read.
    /// - Parameters:
    ///   - attempt: how its last try ended (`refused` only when every edge refused).
    ///   - cached: whether it asked for a cached page.
    ///   - rerouted: whether an edge refused it and another was tried.
    ///   - tenantID: the tenant it asked for.
    ///   - sentAt: seconds since the run began when it was sent.
    public mutating func recordRead(_ attempt: FaultAttempt, cached: Bool, rerouted: Bool, tenantID: String, sentAt: Double) {
        counts.reads.sent += 1
        if rerouted { counts.reads.rerouted += 1 }
        if FaultOutcome.crossesTenant(attempt, askedFor: tenantID) { counts.crossTenant += 1 }
        let outcome = FaultOutcome.read(attempt)
        let failed: Bool
        switch outcome {
        case .ok(let stale):
            counts.reads.ok += 1
            if stale { counts.reads.stale += 1 }
            failed = false
        case .failed(let key):
            counts.reads.failedByStatus[key, default: 0] += 1
            failed = true
        }
        if cached {
            counts.reads.cached.sent += 1
            if failed { counts.reads.cached.failed += 1 }
        } else {
            counts.reads.uncached.sent += 1
            if failed { counts.reads.uncached.failed += 1 }
        }
        count(outcome, write: false, sentAt: sentAt)
    }

    /// Counts order `number` as sent during the run.
    /// - Parameters:
    ///   - number: the order's number (its key is `<prefix>-<number>`).
    ///   - attempt: how its last try ended.
    ///   - rerouted: whether an edge refused it and another was tried.
    ///   - sentAt: seconds since the run began when it was sent.
    public mutating func recordWrite(number: Int, _ attempt: FaultAttempt, rerouted: Bool, sentAt: Double) {
        counts.writes.sent += 1
        if rerouted { counts.writes.rerouted += 1 }
        let outcome = FaultOutcome.write(attempt)
        switch outcome {
        case .ok:
            counts.writes.acknowledged += 1
            acknowledged.append(number)
        case .failed(let key):
            counts.writes.failedByStatus[key, default: 0] += 1
            failedOrders.insert(number)
        }
        count(outcome, write: true, sentAt: sentAt)
    }

    /// The orders that failed during the run, in order: each is retried once after it.
    public var ordersToRetry: [Int] { failedOrders.sorted() }

    /// Counts the one retry of failed order `number` (an order not retried in time stays failed).
    /// - Parameters:
    ///   - number: the order's number.
    ///   - attempt: how the retry ended.
    public mutating func recordRetry(number: Int, _ attempt: FaultAttempt) {
        guard failedOrders.contains(number), !recovered.contains(number) else { return }
        if case .ok = FaultOutcome.write(attempt) { recovered.append(number) }
    }

    /// The report.
    /// - Parameters:
    ///   - seconds: how long the timed run took.
    ///   - timeline: whether to include the per-second counts (from second 0 to the last one with a request).
    public func report(seconds: Double, timeline: Bool) -> FaultReport {
        var report = counts
        report.seconds = seconds
        let recoveredSet = Set(recovered)
        report.writes.recoveredByRetry = recoveredSet.count
        report.writes.stillFailed = failedOrders.count - recoveredSet.count
        report.acknowledgedKeys = (acknowledged + recovered).sorted().map { "\(keyPrefix)-\($0)" }
        report.failedKeys = failedOrders.subtracting(recoveredSet).sorted().map { "\(keyPrefix)-\($0)" }
        if timeline, let last = self.seconds.keys.max() {
            report.timeline = (0...last).map { self.seconds[$0] ?? FaultReport.Second(t: $0) }
        }
        return report
    }

    private mutating func count(_ outcome: FaultOutcome, write: Bool, sentAt: Double) {
        let second = max(0, Int(sentAt.rounded(.down)))
        var entry = seconds[second] ?? FaultReport.Second(t: second)
        switch outcome {
        case .ok(let stale):
            entry.ok += 1
            if stale { entry.stale += 1 }
            if write { entry.writesOk += 1 }
        case .failed:
            entry.failed += 1
            if write { entry.writesFailed += 1 }
            let at = (sentAt * 1000).rounded() / 1000
            counts.firstFailureAt = min(counts.firstFailureAt ?? at, at)
            counts.lastFailureAt = max(counts.lastFailureAt ?? at, at)
        }
        seconds[second] = entry
    }
}
