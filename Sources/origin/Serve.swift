import ArgumentParser
import Origin

/// `origin serve` (the default): parses the options and runs ``OriginAssembly/run(configuration:logger:)``.
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
        var configuration = database.configuration()
        configuration.host = host
        configuration.port = port
        configuration.adminPort = adminPort
        configuration.internalToken = internalToken
        configuration.adminToken = adminToken
        configuration.redis.host = redisHost
        configuration.redis.port = redisPort
        configuration.routing.readYourWritesWindow = .milliseconds(readYourWritesMs)
        configuration.migrateOnStart = migrate
        try await OriginAssembly.run(configuration: configuration, logger: makeLogger())
    }
}
