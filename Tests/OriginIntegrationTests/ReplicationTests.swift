import Logging
import Origin
import PostgresNIO
import Shared
import TestSupport
import Testing

/// Against the real primary and streaming replica started by `deploy/dev services`.
@Suite struct ReplicationTests {
    /// The replica is a real hot standby of the primary, not a second primary.
    @Test func replicaIsStreamingStandby() async throws {
        try await TestDatabase.with { db in
            let primaryRecovery = try await db.primary.query("SELECT pg_is_in_recovery()").collectBools()
            let replicaRecovery = try await db.replica.query("SELECT pg_is_in_recovery()").collectBools()
            #expect(primaryRecovery == [false])
            #expect(replicaRecovery == [true])
            let streaming = try await db.primary.query(
                "SELECT count(*)::int FROM pg_stat_replication WHERE state = 'streaming'"
            ).decode(Int.self).collect()
            #expect((streaming.first ?? 0) >= 1)
        }
    }

    /// A row written through the primary is read back from the replica once replayed.
    @Test func writeOnPrimaryIsReadOnReplica() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Replication Probe")
            try await Seeder.upsertTenant(spec, on: db.owner, logger: TestEnvironment.logger)
            let slug = "written-\(Int.random(in: 0..<1_000_000))"
            try await TenantScope.withTenant(spec.id) {
                try await db.database.write(spec.id) { connection in
                    try await connection.query(
                        """
                        INSERT INTO products (tenant_id, slug, title, price_cents, currency)
                        VALUES (\(connection.tenant.rawValue), \(slug), 'Fresh from the primary', 1234, 'EUR')
                        """
                    )
                }
            }
            try await db.waitForReplica()
            let product = try await TenantScope.withTenant(spec.id) {
                try await PostgresProductRepository(database: db.database).product(spec.id, slug: slug)
            }
            #expect(product?.title == "Fresh from the primary")
            #expect(product?.priceCents == 1234)
        }
    }

    /// The replica refuses writes: reads routed there can never change data by mistake.
    @Test func replicaRejectsWrites() async throws {
        try await TestDatabase.with { db in
            await #expect(throws: PSQLError.self) {
                try await db.replica.query("CREATE TABLE should_not_exist (id int)")
            }
        }
    }

    /// Migrations are recorded and applying them again changes nothing.
    @Test func migrationsAreIdempotent() async throws {
        try await TestDatabase.with { db in
            let again = try await Migrations.migrate(db.owner, logger: TestEnvironment.logger)
            #expect(again.isEmpty)
            let versions = try await db.owner.query("SELECT version FROM schema_migrations ORDER BY version")
                .decode(Int.self).collect()
            #expect(versions == Migrations.all.map(\.version))
        }
    }
}

extension PostgresRowSequence {
    func collectBools() async throws -> [Bool] { try await decode(Bool.self).collect() }
}

extension AsyncSequence {
    func collect() async throws -> [Element] {
        var result: [Element] = []
        for try await element in self { result.append(element) }
        return result
    }
}

@Suite struct FreshDatabaseMigrationTests {
    /// Every migration applies, in order, to an empty database (what CI and a new cluster start from).
    @Test func migrationsApplyToEmptyDatabase() async throws {
        let name = "migrate_\(UInt32.random(in: 0..<UInt32.max))"
        var superuser = TestEnvironment.originConfiguration().primary
        superuser.username = "postgres"
        superuser.database = "postgres"
        superuser.maximumConnections = 1
        let control = PostgresClient(configuration: superuser.clientConfiguration(), backgroundLogger: TestEnvironment.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await control.run() }
            defer { group.cancelAll() }
            try await control.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) OWNER storefront"))
            do {
                var owner = TestEnvironment.originConfiguration().primary
                owner.username = "storefront"
                owner.database = name
                owner.maximumConnections = 1
                let client = PostgresClient(configuration: owner.clientConfiguration(), backgroundLogger: TestEnvironment.logger)
                let applied = try await withThrowingTaskGroup(of: [Int].self) { inner in
                    inner.addTask {
                        await client.run()
                        return []
                    }
                    defer { inner.cancelAll() }
                    return try await Migrations.migrate(client, logger: TestEnvironment.logger)
                }
                #expect(applied == Migrations.all.map(\.version))
            } catch {
                try? await control.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
                throw error
            }
            try await control.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
        }
    }
}
