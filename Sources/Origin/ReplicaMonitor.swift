import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Watches both database servers: is each answering, and how far behind the primary is the replica.
///
/// Every ``Configuration/interval`` it reads the primary's current WAL insert position and the replica's replayed
/// position, each over a connection of its own (see ``ServerWatch``). Lag in bytes is their difference; lag in
/// time is how long ago the primary was at the position the replica has now reached (from the recent
/// samples). Reads avoid the replica while it is down or lags beyond the bounds; writes fail at once while
/// the primary is down. A server that stops or cuts its connections is known down the moment it does,
/// a hung one after ``Configuration/probeTimeout``. Exported as `storefront_replica_lag_bytes`,
/// `storefront_replica_lag_seconds`, `storefront_replica_up` and `storefront_primary_up`.
public final class ReplicaMonitor: Service, Sendable {
    public struct Configuration: Sendable {
        /// The pause between two probes.
        public var interval: Duration = .milliseconds(250)
        /// A probe (connecting included) taking longer marks its server down.
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

    let primary: ServerWatch
    let replica: ServerWatch
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let lagBytesGauge = Gauge(label: "storefront_replica_lag_bytes")
    private let lagSecondsGauge = Gauge(label: "storefront_replica_lag_seconds")
    private let upGauge = Gauge(label: "storefront_replica_up")
    private let primaryUpGauge = Gauge(label: "storefront_primary_up")

    /// A monitor that probes over connections of its own (what an origin runs).
    /// - Parameters:
    ///   - primary: how to connect to the primary.
    ///   - replica: how to connect to the replica.
    ///   - configuration: interval, timeout and lag bounds.
    ///   - logger: servers going down and coming back are logged here.
    public convenience init(
        primary: PostgresConnection.Configuration,
        replica: PostgresConnection.Configuration,
        configuration: Configuration = .init(),
        logger: Logger
    ) {
        self.init(links: (.dedicated(primary), .dedicated(replica)), configuration: configuration, logger: logger)
    }

    /// A monitor that probes through the given pools: a stopped server is known at the next probe only.
    /// - Parameters:
    ///   - primary: the primary's client.
    ///   - replica: the replica's client.
    ///   - configuration: interval, timeout and lag bounds.
    ///   - logger: servers going down and coming back are logged here.
    public convenience init(primary: PostgresClient, replica: PostgresClient, configuration: Configuration = .init(), logger: Logger) {
        self.init(links: (.pool(primary), .pool(replica)), configuration: configuration, logger: logger)
    }

    private init(links: (primary: ServerWatch.Link, replica: ServerWatch.Link), configuration: Configuration, logger: Logger) {
        primary = ServerWatch(name: "primary", link: links.primary, timeout: configuration.probeTimeout, logger: logger)
        replica = ServerWatch(name: "replica", link: links.replica, timeout: configuration.probeTimeout, logger: logger)
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
        return replica.isUp && status.replicaUp && status.lagSeconds <= configuration.maximumLagSeconds
            && status.lagBytes <= configuration.maximumLagBytes
    }

    /// Whether the primary answered the last probe (and its connection has not closed since): while it is
    /// not, writes fail at once and reads stay on the replica.
    public var primaryUp: Bool { primary.isUp }

    /// Probes every ``Configuration/interval`` until graceful shutdown, then closes its connections.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.probe()
                try? await Task.sleep(for: self.configuration.interval)
            }
        }
        primary.end()
        replica.end()
    }

    /// Takes one measurement (both servers at once, each within ``Configuration/probeTimeout``).
    public func probe() async {
        let now = ContinuousClock.now
        async let primaryProbe = primary.probe { try await Self.lsn($0, "SELECT pg_current_wal_insert_lsn()::text") }
        async let replicaProbe = replica.probe { try await Self.lsn($0, "SELECT pg_last_wal_replay_lsn()::text") }
        let (primaryAnswer, replicaAnswer) = await (primaryProbe, replicaProbe)
        let primaryLSN = primaryAnswer.flatMap { $0 }
        // A server that answers without a replay position is not replaying: not a replica to read from.
        let replicaLSN = replicaAnswer.flatMap { $0 }
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
        primaryUpGauge.record(primary.isUp ? 1 : 0)
        lagBytesGauge.record(Double(status.lagBytes))
        lagSecondsGauge.record(status.lagSeconds)
    }

    private static func lsn(_ connection: PostgresConnection, _ sql: String) async throws -> UInt64? {
        for try await text in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: connection.logger).decode(String?.self) {
            return text.flatMap(parseLSN)
        }
        return nil
    }

    /// Parses a `pg_lsn` text (`16/B374D848`) into a byte position.
    static func parseLSN(_ text: String) -> UInt64? {
        WALPosition(pgLSN: text)?.offset
    }
}
