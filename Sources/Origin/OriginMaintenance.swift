import Logging
import PostgresNIO
import Shared

/// Work on the primary as the schema owner (``OriginConfiguration/schemaOwner``), never as the application
/// role: what `origin migrate`, `origin seed` and `origin add-tenant` run. Every step is idempotent.
public enum OriginMaintenance {
    /// Applies pending migrations.
    /// - Parameters:
    ///   - configuration: where the primary is and who owns the schema.
    ///   - logger: where progress is logged.
    /// - Returns: the versions applied now.
    @discardableResult
    public static func migrate(configuration: OriginConfiguration, logger: Logger) async throws -> [Int] {
        try await withSchemaOwner(configuration, logger: logger) { client in
            try await Migrations.migrate(client, logger: logger)
        }
    }

    /// Creates the demo tenants (``Seeder/demoTenants``) with a catalogue and orders.
    /// - Parameters:
    ///   - configuration: where the primary is and who owns the schema.
    ///   - products: products per tenant.
    ///   - orders: orders per tenant.
    ///   - logger: where progress is logged.
    ///   - seeded: called after each tenant.
    public static func seedDemo(
        configuration: OriginConfiguration,
        products: Int,
        orders: Int,
        logger: Logger,
        seeded: @escaping @Sendable (Seeder.TenantSpec) -> Void = { _ in }
    ) async throws {
        try await withSchemaOwner(configuration, logger: logger) { client in
            for spec in Seeder.demoTenants {
                try await Seeder.upsertTenant(spec, on: client, logger: logger)
                try await Seeder.seedCatalogue(spec, products: products, orders: orders, on: client, logger: logger)
                seeded(spec)
            }
        }
    }

    /// Creates a tenant and its storefront domain, with `products` demo products when more than 0. Edges learn
    /// of it at their next tenant refresh (no event is published).
    /// - Parameters:
    ///   - spec: the tenant.
    ///   - products: demo products to create.
    ///   - configuration: where the primary is and who owns the schema.
    ///   - logger: where progress is logged.
    public static func addTenant(
        _ spec: Seeder.TenantSpec,
        products: Int,
        configuration: OriginConfiguration,
        logger: Logger
    ) async throws {
        try await withSchemaOwner(configuration, logger: logger) { client in
            try await Seeder.upsertTenant(spec, on: client, logger: logger)
            if products > 0 {
                try await Seeder.seedCatalogue(spec, products: products, orders: 0, on: client, logger: logger)
            }
        }
    }

    /// Runs `body` with a running client of the primary as the schema owner, stopped afterwards.
    static func withSchemaOwner<Result: Sendable>(
        _ configuration: OriginConfiguration,
        logger: Logger,
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: configuration.schemaOwner.clientConfiguration(), backgroundLogger: logger)
        return try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            let result = try await body(client)
            group.cancelAll()
            return result
        }
    }
}
