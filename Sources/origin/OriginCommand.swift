import ArgumentParser
import Foundation
import Logging
import Origin

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

    /// The configuration these options describe (passwords from `PG_PASSWORD` and `PG_ADMIN_PASSWORD`).
    func configuration() -> OriginConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = OriginConfiguration()
        configuration.primary = .init(
            host: primaryHost,
            port: primaryPort,
            username: pgUser,
            password: environment["PG_PASSWORD"],
            database: pgDatabase
        )
        configuration.replica = .init(
            host: replicaHost,
            port: replicaPort,
            username: pgUser,
            password: environment["PG_PASSWORD"],
            database: pgDatabase
        )
        configuration.schemaOwner = .init(
            host: primaryHost,
            port: primaryPort,
            username: pgAdminUser,
            password: environment["PG_ADMIN_PASSWORD"],
            database: pgDatabase
        )
        return configuration
    }
}

func env(_ name: String, _ fallback: String) -> String {
    ProcessInfo.processInfo.environment[name] ?? fallback
}

/// The processes' logger; `LOG_LEVEL` sets its level (default `info`).
func makeLogger() -> Logger {
    var logger = Logger(label: "origin")
    logger.logLevel = Logger.Level(rawValue: env("LOG_LEVEL", "info")) ?? .info
    return logger
}
