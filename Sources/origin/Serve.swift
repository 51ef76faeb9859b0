import ArgumentParser
import Foundation
import Origin
import Shared

/// `origin serve` (the default): parses the options and runs ``OriginAssembly/run(configuration:logger:)``.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve storefronts over HTTP.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Listen address (env ORIGIN_HOST).") var host = env("ORIGIN_HOST", "127.0.0.1")
    @Option(help: "Listen port (env ORIGIN_PORT).") var port = Int(env("ORIGIN_PORT", "8081"))!
    @Option(
        help:
            "Internal listener port: /health, /metrics, the edges' /internal/tenants and the platform's /admin/tenants; never exposed publicly (env ORIGIN_ADMIN_PORT)."
    )
    var adminPort = Int(env("ORIGIN_ADMIN_PORT", "9181"))!
    @Option(help: "Internal listener address; empty means --host (env ORIGIN_ADMIN_HOST).") var adminHost = env("ORIGIN_ADMIN_HOST", "")
    @Option(help: "Token the edge presents on /internal/tenants on the internal listener (env INTERNAL_TOKEN).") var internalToken = env(
        "INTERNAL_TOKEN",
        "dev-internal-token"
    )
    @Option(help: "Redis host (env REDIS_HOST).") var redisHost = env("REDIS_HOST", "127.0.0.1")
    @Option(help: "Redis port (env REDIS_PORT).") var redisPort = Int(env("REDIS_PORT", "56379"))!
    @Option(help: "Platform admin token for /admin/tenants on the internal listener (env ADMIN_TOKEN).") var adminToken = env(
        "ADMIN_TOKEN",
        "dev-admin-token"
    )
    @Option(help: "After a tenant writes, its reads stay on the primary this long, in ms (env READ_YOUR_WRITES_MS).")
    var readYourWritesMs = Int64(env("READ_YOUR_WRITES_MS", "2000"))!
    @Option(help: "A replica read slower than this, in ms, is retried on the primary (env REPLICA_TIMEOUT_MS).")
    var replicaTimeoutMs = Int64(env("REPLICA_TIMEOUT_MS", "500"))!
    @Option(help: "A write waits for the primary at most this long, in ms, then answers 503 (env PRIMARY_TIMEOUT_MS).")
    var primaryTimeoutMs = Int64(env("PRIMARY_TIMEOUT_MS", "3000"))!
    @Option(help: "On SIGTERM, requests in flight get this long to finish, in seconds, then the process exits (env ORIGIN_DRAIN_SECONDS).")
    var drainSeconds = Double(env("ORIGIN_DRAIN_SECONDS", "10"))!
    @Flag(help: "Apply pending migrations before serving.") var migrate = false
    @Flag(
        help:
            "Production mode (or env STOREFRONT_ENV=production): refuses to start with a missing, default or short (< 32 characters) internal or admin token."
    )
    var production = false

    func run() async throws {
        if ProductionSecrets.isProduction(flag: production, environment: ProcessInfo.processInfo.environment),
            let refusal = ProductionSecrets.refusal([
                ("--internal-token / INTERNAL_TOKEN", internalToken), ("--admin-token / ADMIN_TOKEN", adminToken),
            ])
        {
            throw ValidationError(refusal)
        }
        var configuration = database.configuration()
        configuration.host = host
        configuration.port = port
        configuration.adminPort = adminPort
        configuration.adminHost = adminHost.isEmpty ? nil : adminHost
        configuration.internalToken = internalToken
        configuration.adminToken = adminToken
        configuration.redis.host = redisHost
        configuration.redis.port = redisPort
        configuration.routing.readYourWritesWindow = .milliseconds(readYourWritesMs)
        configuration.routing.replicaTimeout = .milliseconds(replicaTimeoutMs)
        configuration.routing.primaryTimeout = .milliseconds(primaryTimeoutMs)
        configuration.drainTime = .milliseconds(Int64(drainSeconds * 1000))
        configuration.migrateOnStart = migrate
        try await OriginAssembly.run(configuration: configuration, logger: makeLogger())
    }
}
