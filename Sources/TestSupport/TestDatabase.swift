import Logging
import Origin
import PostgresNIO

/// Clients of the test primary and replica, running for the duration of a closure, with the schema migrated.
public struct TestDatabase: Sendable {
    public let primary: PostgresClient
    public let replica: PostgresClient
    public let database: TenantDatabase

    /// Runs `body` with running clients; the schema is migrated first.
    public static func with<Result: Sendable>(
        _ body: @Sendable (TestDatabase) async throws -> Result
    ) async throws -> Result {
        let configuration = TestEnvironment.originConfiguration()
        let logger = TestEnvironment.logger
        let primary = PostgresClient(configuration: configuration.primary.clientConfigurationForTests(), backgroundLogger: logger)
        let replica = PostgresClient(configuration: configuration.replica.clientConfigurationForTests(), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await primary.run() }
            group.addTask { await replica.run() }
            defer { group.cancelAll() }
            try await Migrations.migrate(primary, logger: logger)
            let database = TenantDatabase(primary: primary, replica: replica, logger: logger)
            return try await body(TestDatabase(primary: primary, replica: replica, database: database))
        }
    }

    /// Creates a tenant with a small catalogue, and waits until the replica has it.
    public func createTenant(_ spec: Seeder.TenantSpec, products: Int = 5, orders: Int = 0) async throws {
        let logger = TestEnvironment.logger
        try await Seeder.upsertTenant(spec, on: primary, logger: logger)
        try await Seeder.seedCatalogue(spec, products: products, orders: orders, on: primary, logger: logger)
        try await waitForReplica()
    }

    /// Waits until the replica has replayed everything the primary has written so far.
    public func waitForReplica(timeout: Duration = .seconds(10)) async throws {
        var lsn = ""
        for try await value in try await primary.query("SELECT pg_current_wal_lsn()::text").decode(String.self) {
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

extension OriginConfiguration.Database {
    func clientConfigurationForTests() -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: .disable
        )
        configuration.options.maximumConnections = 4
        return configuration
    }
}
