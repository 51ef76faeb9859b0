import Foundation

/// What a fault run saw, as JSON for the fault suite.
///
/// The counts add up: `reads.sent == reads.ok + Σ reads.failedByStatus`; `stale` and `rerouted` are reads
/// counted among those (a stale answer is ok; a rerouted read ends ok or failed like any other);
/// `cached.sent + uncached.sent == reads.sent`. `writes.sent == writes.acknowledged + Σ writes.failedByStatus`
/// (during the run), and every failed order ends `recoveredByRetry` or `stillFailed`;
/// `acknowledgedKeys` has `acknowledged + recoveredByRetry` keys, `failedKeys` has `stillFailed`.
/// Times are seconds since the timed run began, at the moment the request was sent.
public struct FaultReport: Codable, Sendable, Equatable {
    /// Requests of one kind and how many failed.
    public struct Share: Codable, Sendable, Equatable {
        public var sent = 0
        public var failed = 0

        public init(sent: Int = 0, failed: Int = 0) {
            self.sent = sent
            self.failed = failed
        }
    }

    /// Every read of the run.
    public struct Reads: Codable, Sendable, Equatable {
        public var sent = 0
        public var ok = 0
        public var rerouted = 0
        public var stale = 0
        public var failedByStatus: [String: Int] = [:]
        public var cached = Share()
        public var uncached = Share()
    }

    /// The orders: during the run, then the retries of the failed ones.
    public struct Writes: Codable, Sendable, Equatable {
        public var sent = 0
        public var acknowledged = 0
        public var rerouted = 0
        public var failedByStatus: [String: Int] = [:]
        public var recoveredByRetry = 0
        public var stillFailed = 0
    }

    /// One second of the run: requests (reads and writes) sent in it, by how they ended.
    public struct Second: Codable, Sendable, Equatable {
        public var t: Int
        public var ok = 0
        public var failed = 0
        public var stale = 0
        /// The writes among `ok` and `failed`.
        public var writesOk = 0
        public var writesFailed = 0

        public init(t: Int, ok: Int = 0, failed: Int = 0, stale: Int = 0, writesOk: Int = 0, writesFailed: Int = 0) {
            self.t = t
            self.ok = ok
            self.failed = failed
            self.stale = stale
            self.writesOk = writesOk
            self.writesFailed = writesFailed
        }
    }

    public var reads = Reads()
    /// Answers that came from another tenant than the one asked for (must be 0).
    public var crossTenant = 0
    public var writes = Writes()
    public var acknowledgedKeys: [String] = []
    public var failedKeys: [String] = []
    public var firstFailureAt: Double?
    public var lastFailureAt: Double?
    public var timeline: [Second] = []
    /// How long the timed run took.
    public var seconds = 0.0
    /// When the timed run began (seconds since 1970): `t` 0 of the timeline and the failure times, for a
    /// caller that timed its faults from another moment (the warm-up comes before it).
    public var startedAt = 0.0

    enum CodingKeys: String, CodingKey {
        case reads, crossTenant, writes, acknowledgedKeys, failedKeys, firstFailureAt, lastFailureAt, timeline, seconds, startedAt
    }

    public init() {}

    /// Encodes every key, `null` for a run without failures (not left out, as the synthesised encoder would).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reads, forKey: .reads)
        try container.encode(crossTenant, forKey: .crossTenant)
        try container.encode(writes, forKey: .writes)
        try container.encode(acknowledgedKeys, forKey: .acknowledgedKeys)
        try container.encode(failedKeys, forKey: .failedKeys)
        try container.encode(firstFailureAt, forKey: .firstFailureAt)
        try container.encode(lastFailureAt, forKey: .lastFailureAt)
        try container.encode(timeline, forKey: .timeline)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(startedAt, forKey: .startedAt)
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// One line for a person: reads, writes, cross-tenant answers and when failures happened.
    public var summaryLine: String {
        let readsFailed = reads.failedByStatus.values.reduce(0, +)
        let writesFailed = writes.failedByStatus.values.reduce(0, +)
        let window =
            firstFailureAt.map { first in
                String(format: "failures from %.1f s to %.1f s", first, lastFailureAt ?? first)
            } ?? "no failures"
        return "faults: \(String(format: "%.1f", seconds)) s; reads \(reads.sent) sent, \(reads.ok) ok (\(reads.stale) stale), "
            + "\(reads.rerouted) rerouted, \(readsFailed) failed\(Self.kinds(reads.failedByStatus)); "
            + "cached \(reads.cached.failed)/\(reads.cached.sent) failed, uncached \(reads.uncached.failed)/\(reads.uncached.sent) failed; "
            + "cross-tenant \(crossTenant); writes \(writes.sent) sent, \(writes.acknowledged) acknowledged, "
            + "\(writesFailed) failed\(Self.kinds(writes.failedByStatus)), \(writes.recoveredByRetry) recovered by retry, "
            + "\(writes.stillFailed) still failed; \(window)"
    }

    private static func kinds(_ counts: [String: Int]) -> String {
        guard !counts.isEmpty else { return "" }
        return " (" + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
    }
}
