import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Watches the streaming replica: is it answering, and how far behind the primary is it.
///
/// Every ``Configuration/interval`` it reads the primary's current WAL insert position and the replica's replayed
/// position. Lag in bytes is their difference; lag in time is how long ago the primary was at the position
/// the replica has now reached (from the recent samples). Reads avoid the replica while it is down or lags
/// beyond the bounds. Exported as `storefront_replica_lag_bytes`, `storefront_replica_lag_seconds` and
/// `storefront_replica_up`.
public final class ReplicaMonitor: Service, Sendable {
    public struct Configuration: Sendable {
        public var interval: Duration = .milliseconds(250)
        public var probeTimeout: Duration = .milliseconds(500)
        /// Beyond this lag the replica is not used for reads.
        public var maximumLagSeconds: Double = 5
        public var maximumLagBytes: UInt64 = 64 * 1024 * 1024

        public init() {}
    }

    /// What the last probe saw.
    public struct Status: Sendable, Equatable {
        public var replicaUp: Bool
        public var lagBytes: UInt64
        public var lagSeconds: Double
        /// How far the replica had replayed the log (`nil` before the first answer).
        public var replayed: WALPosition? = nil
    }

    private struct State {
        var status = Status(replicaUp: true, lagBytes: 0, lagSeconds: 0)
        /// Recent (primary position, time seen) samples, oldest first.
        var samples: [(lsn: UInt64, at: ContinuousClock.Instant)] = []
    }

    private let primary: PostgresClient
    private let replica: PostgresClient
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let lagBytesGauge = Gauge(label: "storefront_replica_lag_bytes")
    private let lagSecondsGauge = Gauge(label: "storefront_replica_lag_seconds")
    private let upGauge = Gauge(label: "storefront_replica_up")

    public init(primary: PostgresClient, replica: PostgresClient, configuration: Configuration = .init(), logger: Logger) {
        self.primary = primary
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
    }

    /// What the last probe saw.
    public var status: Status { state.withLock { $0.status } }

    /// How far the replica had replayed the log at the last probe that reached it.
    public var replayedPosition: WALPosition? { status.replayed }

    /// Whether reads may go to the replica now.
    public var replicaUsable: Bool {
        let status = self.status
        return status.replicaUp && status.lagSeconds <= configuration.maximumLagSeconds
            && status.lagBytes <= configuration.maximumLagBytes
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.probe()
                try? await Task.sleep(for: self.configuration.interval)
            }
        }
    }

    /// Takes one measurement.
    public func probe() async {
        let now = ContinuousClock.now
        let primaryLSN = try? await withDeadline(configuration.probeTimeout) { [primary] in
            try await Self.lsn(primary, "SELECT pg_current_wal_insert_lsn()::text")
        }
        let replicaLSN = try? await withDeadline(configuration.probeTimeout) { [replica] in
            try await Self.lsn(replica, "SELECT pg_last_wal_replay_lsn()::text")
        }
        let status = state.withLock { state -> Status in
            if let primaryLSN {
                state.samples.append((primaryLSN, now))
                if state.samples.count > 256 { state.samples.removeFirst(state.samples.count - 256) }
            }
            guard let replicaLSN else {
                state.status.replicaUp = false
                return state.status
            }
            let newestPrimary = state.samples.last?.lsn ?? replicaLSN
            let lagBytes = newestPrimary > replicaLSN ? newestPrimary - replicaLSN : 0
            var lagSeconds = 0.0
            if lagBytes > 0 {
                // The oldest sample the replica has not reached yet: it has been behind since then.
                if let firstAhead = state.samples.first(where: { $0.lsn > replicaLSN }) {
                    lagSeconds =
                        Double((now - firstAhead.at).components.seconds)
                        + Double((now - firstAhead.at).components.attoseconds) / 1e18
                }
            }
            state.status = Status(
                replicaUp: true,
                lagBytes: lagBytes,
                lagSeconds: lagSeconds,
                replayed: WALPosition(offset: replicaLSN)
            )
            return state.status
        }
        upGauge.record(status.replicaUp ? 1 : 0)
        lagBytesGauge.record(Double(status.lagBytes))
        lagSecondsGauge.record(status.lagSeconds)
    }

    private static func lsn(_ client: PostgresClient, _ sql: String) async throws -> UInt64? {
        for try await text in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(String?.self) {
            return text.flatMap(parseLSN)
        }
        return nil
    }

    /// Parses a `pg_lsn` text (`16/B374D848`) into a byte position.
    static func parseLSN(_ text: String) -> UInt64? {
        WALPosition(pgLSN: text)?.offset
    }
}
