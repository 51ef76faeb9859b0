import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Origin
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Shared

@main
struct OriginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "origin",
        abstract: "The Storefront Edge origin: tenant-scoped storefront backend.",
        subcommands: [Serve.self, Migrate.self, Seed.self, AddTenant.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by every subcommand; each falls back to an environment variable, then to the dev default.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Primary host (env PG_PRIMARY_HOST).") var primaryHost = env("PG_PRIMARY_HOST", "127.0.0.1")
    @Option(help: "Primary port (env PG_PRIMARY_PORT).") var primaryPort = Int(env("PG_PRIMARY_PORT", "55432"))!
    @Option(help: "Replica host (env PG_REPLICA_HOST).") var replicaHost = env("PG_REPLICA_HOST", "127.0.0.1")
    @Option(help: "Replica port (env PG_REPLICA_PORT).") var replicaPort = Int(env("PG_REPLICA_PORT", "55433"))!
    @Option(help: "Application database role, which owns no table (env PG_USER).") var pgUser = env("PG_USER", "storefront_app")
    @Option(help: "Schema owner role for migrate, seed and add-tenant (env PG_ADMIN_USER).")
    var pgAdminUser = env("PG_ADMIN_USER", "storefront")
    @Option(help: "Database name (env PG_DATABASE).") var pgDatabase = env("PG_DATABASE", "storefront")

    func apply(to configuration: inout OriginConfiguration) {
        let password = ProcessInfo.processInfo.environment["PG_PASSWORD"]
        configuration.primary = .init(host: primaryHost, port: primaryPort, username: pgUser, password: password, database: pgDatabase)
        configuration.replica = .init(host: replicaHost, port: replicaPort, username: pgUser, password: password, database: pgDatabase)
    }

    /// Runs `body` with a running client of the primary, as the schema owner.
    func withPrimary(_ body: @Sendable (PostgresClient, Logger) async throws -> Void) async throws {
        var configuration = OriginConfiguration()
        apply(to: &configuration)
        configuration.primary.username = pgAdminUser
        configuration.primary.password = ProcessInfo.processInfo.environment["PG_ADMIN_PASSWORD"]
        let logger = Logger(label: "origin")
        let client = PostgresClient(configuration: configuration.primary.clientConfiguration(), backgroundLogger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            try await body(client, logger)
            group.cancelAll()
        }
    }
}

func env(_ name: String, _ fallback: String) -> String {
    ProcessInfo.processInfo.environment[name] ?? fallback
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve storefronts over HTTP.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Listen address (env ORIGIN_HOST).") var host = env("ORIGIN_HOST", "127.0.0.1")
    @Option(help: "Listen port (env ORIGIN_PORT).") var port = Int(env("ORIGIN_PORT", "8081"))!
    @Option(help: "Admin listener port for /metrics and /health (env ORIGIN_ADMIN_PORT).")
    var adminPort = Int(env("ORIGIN_ADMIN_PORT", "9181"))!
    @Option(help: "Token the edge presents on /internal (env INTERNAL_TOKEN).") var internalToken = env("INTERNAL_TOKEN", "dev-internal-token")
    @Option(help: "Redis host (env REDIS_HOST).") var redisHost = env("REDIS_HOST", "127.0.0.1")
    @Option(help: "Redis port (env REDIS_PORT).") var redisPort = Int(env("REDIS_PORT", "56379"))!
    @Option(help: "Platform admin token for /admin/tenants (env ADMIN_TOKEN).") var adminToken = env("ADMIN_TOKEN", "dev-admin-token")
    @Option(help: "After a tenant writes, its reads stay on the primary this long, in ms (env READ_YOUR_WRITES_MS).")
    var readYourWritesMs = Int64(env("READ_YOUR_WRITES_MS", "2000"))!
    @Flag(help: "Apply pending migrations before serving.") var migrate = false

    func run() async throws {
        var configuration = OriginConfiguration()
        database.apply(to: &configuration)
        configuration.host = host
        configuration.port = port
        configuration.adminPort = adminPort
        configuration.internalToken = internalToken
        configuration.adminToken = adminToken
        configuration.redis.host = redisHost
        configuration.redis.port = redisPort
        configuration.routing.readYourWritesWindow = .milliseconds(readYourWritesMs)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Fine buckets: loopback queries take well under a millisecond, pages a few.
        factory.defaultDurationHistogramBuckets = [
            0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        ].map { Duration.microseconds(Int64($0 * 1_000_000)) }
        MetricsSystem.bootstrap(factory)
        var logger = Logger(label: "origin")
        logger.logLevel = Logger.Level(rawValue: env("LOG_LEVEL", "info")) ?? .info
        if migrate {
            try await database.withPrimary { client, logger in try await Migrations.migrate(client, logger: logger) }
        }
        let app = OriginApplication.build(configuration: configuration, logger: logger, metrics: registry)
        // SIGTERM: stop accepting, finish requests in flight, close the pools. Bounded, so that one stuck
        // dependency cannot keep a terminating pod alive until it is killed: after 20 s the remaining work
        // is cancelled, and if cancellation does not end it within 5 s the process exits anyway.
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(20)
        group.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations on the primary.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await database.withPrimary { client, logger in
            let applied = try await Migrations.migrate(client, logger: logger)
            print(applied.isEmpty ? "schema up to date" : "applied migrations \(applied)")
        }
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the demo tenants with products and orders.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Products per tenant.") var products = 300
    @Option(help: "Orders per tenant.") var orders = 200

    func run() async throws {
        let products = products
        let orders = orders
        try await database.withPrimary { client, logger in
            for spec in Seeder.demoTenants {
                try await Seeder.upsertTenant(spec, on: client, logger: logger)
                try await Seeder.seedCatalogue(spec, products: products, orders: orders, on: client, logger: logger)
                print("seeded \(spec.id) on \(spec.domain)")
            }
        }
    }
}

struct AddTenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-tenant",
        abstract: "Create a tenant and its storefront domain (idempotent)."
    )
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Tenant id: a-z, 0-9 and -.") var id: String
    @Option(help: "Storefront domain.") var domain: String
    @Option(help: "Display name.") var name: String
    @Option(help: "Products to create for a demo catalogue.") var products = 0

    func run() async throws {
        guard let tenant = TenantID(id) else { throw ValidationError("invalid tenant id '\(id)'") }
        guard let host = HostName(normalising: domain) else { throw ValidationError("invalid domain '\(domain)'") }
        let spec = Seeder.TenantSpec(id: tenant, name: name, domain: host, theme: Theme(name: name))
        let products = products
        try await database.withPrimary { client, logger in
            try await Seeder.upsertTenant(spec, on: client, logger: logger)
            if products > 0 {
                try await Seeder.seedCatalogue(spec, products: products, orders: 0, on: client, logger: logger)
            }
            print("tenant \(tenant) serves \(host)")
        }
    }
}
