import Logging
import Origin
import PostgresNIO

/// Clients of the test primary and replica, with the schema migrated.
///
/// `owner` is the schema owner (migrations, seeding: what `origin migrate`/`seed` use); `primary` and
/// `replica` log in as the application role, which owns no table and is subject to row-level security.
public struct TestDatabase: Sendable {
    public let owner: PostgresClient
    public let primary: PostgresClient
    public let replica: PostgresClient
    public let monitor: ReplicaMonitor
    public let database: TenantDatabase

    /// Runs `body` with running clients of the test primary and replica; the schema is migrated.
    ///
    /// One set of clients serves every test in the process (they run until the process exits), so parallel
    /// tests share a few connections instead of exhausting the server's.
    public static func with<Result: Sendable>(
        _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        try await body(try await SharedTestDatabase.instance.get())
    }

    /// Creates a tenant with a small catalogue, and waits until the replica has it.
    public func createTenant(_ spec: Seeder.TenantSpec, products: Int = 5, orders: Int = 0) async throws {
        let logger = TestEnvironment.logger
        try await Seeder.upsertTenant(spec, on: owner, logger: logger)
        try await Seeder.seedCatalogue(spec, products: products, orders: orders, on: owner, logger: logger)
        try await waitForReplica()
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    public func waitForReplica(timeout: Duration = .seconds(10)) async throws {
        var lsn = ""
        for try await value in try await owner.query("SELECT pg_current_wal_insert_lsn()::text").decode(String.self) {
            lsn = value
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var caughtUp = false
            for try await value in try await replica.query(
                "SELECT pg_last_wal_replay_lsn() >= \(lsn)::pg_lsn"
            ).decode(Bool.self) {
                caughtUp = value
            }
            if caughtUp { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestDatabaseError.replicaLagging
    }
}

public enum TestDatabaseError: Error { case replicaLagging }

/// Starts the shared test clients once per process.
actor SharedTestDatabase {
    static let instance = SharedTestDatabase()
    private var started: Task<TestDatabase, any Error>?

    func get() async throws -> TestDatabase {
        if let started { return try await started.value }
        let task = Task {
            var configuration = TestEnvironment.originConfiguration()
            configuration.primary.maximumConnections = 8
            configuration.replica.maximumConnections = 8
            let logger = TestEnvironment.logger
            var ownerConfiguration = configuration.primary
            ownerConfiguration.username = "storefront"
            ownerConfiguration.maximumConnections = 4
            let owner = PostgresClient(configuration: ownerConfiguration.clientConfiguration(), backgroundLogger: logger)
            let primary = PostgresClient(configuration: configuration.primary.clientConfiguration(), backgroundLogger: logger)
            let replica = PostgresClient(configuration: configuration.replica.clientConfiguration(), backgroundLogger: logger)
            let monitor = ReplicaMonitor(primary: primary, replica: replica, logger: logger)
            // The clients live as long as the test process.
            Task.detached { await owner.run() }
            Task.detached { await primary.run() }
            Task.detached { await replica.run() }
            Task.detached { try await monitor.run() }
            try await Migrations.migrate(owner, logger: logger)
            return TestDatabase(
                owner: owner,
                primary: primary,
                replica: replica,
                monitor: monitor,
                database: TenantDatabase(primary: primary, replica: replica, monitor: monitor, logger: logger)
            )
        }
        started = task
        return try await task.value
    }
}
