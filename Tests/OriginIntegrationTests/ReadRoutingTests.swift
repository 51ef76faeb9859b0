import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Shared
import TestSupport
import Testing

@testable import Origin

/// Where reads go when the replica lags or is gone. Replay on the real replica is paused briefly (as the
/// superuser) to make it lag on purpose.
@Suite(.serialized) struct ReadRoutingTests {
    static func superuserReplica() -> PostgresClient {
        var configuration = TestEnvironment.originConfiguration().replica
        configuration.username = "postgres"
        configuration.maximumConnections = 1
        return PostgresClient(configuration: configuration.clientConfiguration(), backgroundLogger: TestEnvironment.logger)
    }

    /// Runs `body` while the replica's WAL replay is paused, so it serves stale data.
    static func withReplicaPaused(_ body: @Sendable () async throws -> Void) async throws {
        let control = superuserReplica()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await control.run() }
            defer { group.cancelAll() }
            try await control.query("SELECT pg_wal_replay_pause()")
            do {
                try await body()
            } catch {
                try await control.query("SELECT pg_wal_replay_resume()")
                throw error
            }
            try await control.query("SELECT pg_wal_replay_resume()")
        }
    }

    static func insertProduct(_ db: TenantDatabase, tenant: TenantID, slug: String) async throws {
        try await db.write(tenant) { connection in
            try await connection.query(
                """
                INSERT INTO products (tenant_id, slug, title, price_cents, currency)
                VALUES (\(connection.tenant.rawValue), \(slug), 'Just written', 100, 'EUR')
                """
            )
        }
    }

    /// A request that wrote reads its own write, and so does the tenant's next request within the window,
    /// even while the replica has not replayed it yet.
    @Test func readsYourWritesWhileReplicaLags() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Writer")
            try await db.createTenant(spec, products: 1)
            let slug = "ryw-\(Int.random(in: 0..<1_000_000))"
            let repository = PostgresProductRepository(database: db.database)
            try await Self.withReplicaPaused {
                let sameRequest = try await TenantScope.withTenant(spec.id) {
                    try await Self.insertProduct(db.database, tenant: spec.id, slug: slug)
                    return try await repository.product(spec.id, slug: slug)
                }
                #expect(sameRequest?.title == "Just written")
                let nextRequest = try await TenantScope.withTenant(spec.id) { try await repository.product(spec.id, slug: slug) }
                #expect(nextRequest?.title == "Just written")
                // The replica itself really is behind: without the routing, the read would miss.
                let onReplica = try await db.replica.withTransaction(logger: TestEnvironment.logger) { connection in
                    try await connection.query("SELECT set_config('app.tenant_id', \(spec.id.rawValue), true)", logger: TestEnvironment.logger)
                    return try await connection.query(
                        "SELECT count(*)::int FROM products WHERE tenant_id = \(spec.id.rawValue) AND slug = \(slug)",
                        logger: TestEnvironment.logger
                    ).decode(Int.self).collect()
                }
                #expect(onReplica == [0])
            }
        }
    }

    /// The monitor sees the lag grow while replay is paused, and reads leave the lagging replica.
    @Test func lagIsMeasuredAndAvoided() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Lagging")
            try await db.createTenant(spec, products: 1)
            var monitorConfiguration = ReplicaMonitor.Configuration()
            monitorConfiguration.maximumLagSeconds = 0.05
            let monitor = ReplicaMonitor(
                primary: db.primary,
                replica: db.replica,
                configuration: monitorConfiguration,
                logger: TestEnvironment.logger
            )
            var routing = TenantDatabase.Routing()
            routing.readYourWritesWindow = .zero
            let database = TenantDatabase(
                primary: db.primary,
                replica: db.replica,
                monitor: monitor,
                routing: routing,
                logger: TestEnvironment.logger
            )
            await monitor.probe()
            #expect(monitor.replicaUsable)
            let slug = "lag-\(Int.random(in: 0..<1_000_000))"
            try await Self.withReplicaPaused {
                try await TenantScope.withTenant(spec.id) { try await Self.insertProduct(database, tenant: spec.id, slug: slug) }
                await monitor.probe()
                // Deliberate: the paused replica falls behind in PostgreSQL's own time (its replay timestamps).
                try await Task.sleep(for: .milliseconds(150))
                await monitor.probe()
                let status = monitor.status
                #expect(status.replicaUp)
                #expect(status.lagBytes > 0)
                #expect(status.lagSeconds >= 0.1)
                #expect(!monitor.replicaUsable)
                let product = try await TenantScope.withTenant(spec.id) {
                    try await PostgresProductRepository(database: database).product(spec.id, slug: slug)
                }
                #expect(product?.title == "Just written")
            }
            // Replay resumed: the replica catches up and is used again (other tests may keep writing, so
            // wait for "caught up to within the bound", not for zero bytes).
            try await db.waitForReplica()
            try await waitUntil("the monitor to find the replica usable again", timeout: .seconds(5), pollEvery: .milliseconds(50)) {
                await monitor.probe()
                return monitor.replicaUsable
            }
        }
    }

    /// With the replica gone, reads fall back to the primary: slower, never failed.
    @Test func replicaDownFallsBackToPrimary() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Orphan")
            try await db.createTenant(spec, products: 2)
            let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            let deadPort = probe.localAddress!.port!
            try await probe.close()
            var deadConfiguration = TestEnvironment.originConfiguration().replica
            deadConfiguration.port = deadPort
            let deadReplica = PostgresClient(configuration: deadConfiguration.clientConfiguration(), backgroundLogger: TestEnvironment.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await deadReplica.run() }
                defer { group.cancelAll() }
                let monitor = ReplicaMonitor(primary: db.primary, replica: deadReplica, logger: TestEnvironment.logger)
                let database = TenantDatabase(primary: db.primary, replica: deadReplica, monitor: monitor, logger: TestEnvironment.logger)
                let repository = PostgresProductRepository(database: database)
                // Before the monitor noticed: the replica attempt fails or times out, the primary answers.
                let first = try await TenantScope.withTenant(spec.id) { try await repository.product(spec.id, slug: "product-1") }
                #expect(first?.title == "Orphan item 1")
                await monitor.probe()
                #expect(monitor.status.replicaUp == false)
                #expect(!monitor.replicaUsable)
                let second = try await TenantScope.withTenant(spec.id) { try await repository.product(spec.id, slug: "product-2") }
                #expect(second?.title == "Orphan item 2")
            }
        }
    }

    @Test(arguments: [("0/0", UInt64(0)), ("16/B374D848", UInt64(0x16_B374_D848)), ("FFFFFFFF/FFFFFFFF", UInt64.max)])
    func parsesLSN(text: String, value: UInt64) {
        #expect(ReplicaMonitor.parseLSN(text) == value)
    }
}
