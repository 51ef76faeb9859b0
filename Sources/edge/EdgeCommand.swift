import ArgumentParser
import EdgeGateway
import Foundation
import Logging
import Shared

/// `edge`: maps its options (each with an environment variable and the dev default) to an
/// ``EdgeConfiguration`` and runs ``EdgeAssembly/run(configuration:logger:)``.
@main
struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "The Storefront Edge gateway: HTTPS per tenant, in-memory cache, origin pool."
    )

    @Option(help: "Listen address (env EDGE_BIND).") var bind = env("EDGE_BIND", "127.0.0.1")
    @Option(help: "HTTPS port (env EDGE_HTTPS_PORT).") var httpsPort = Int(env("EDGE_HTTPS_PORT", "8443"))!
    @Option(help: "HTTP port answering 308 to HTTPS; 0 disables it (env EDGE_HTTP_PORT).")
    var httpPort = Int(env("EDGE_HTTP_PORT", "8080"))!
    @Option(help: "HTTPS port clients use, for redirects; 0 means --https-port (env EDGE_PUBLIC_HTTPS_PORT).")
    var publicHTTPSPort = Int(env("EDGE_PUBLIC_HTTPS_PORT", "0"))!
    @Option(
        help:
            "Origins: host:port,... or file:<path> (host:port lines, re-read every 2 s) or dns:<name>:<port> (every address of the name, re-resolved every 2 s) (env EDGE_ORIGINS)."
    )
    var origins = env("EDGE_ORIGINS", "127.0.0.1:8081,127.0.0.1:8082")
    @Option(help: "Tenant source: 'origin' (the origins' /internal/tenants) or a JSON file path (env EDGE_TENANTS).")
    var tenants = env("EDGE_TENANTS", "origin")
    @Option(
        help:
            "The origins' internal listeners for --tenants origin: host:port,..., tried in order (env EDGE_ORIGIN_INTERNAL)."
    )
    var originInternal = env("EDGE_ORIGIN_INTERNAL", "127.0.0.1:9081,127.0.0.1:9082")
    @Option(help: "Token for the origin's internal API (env INTERNAL_TOKEN).")
    var internalToken = env("INTERNAL_TOKEN", "dev-internal-token")
    @Option(help: "Folder with <domain>/tls.crt and <domain>/tls.key (env EDGE_CERT_DIR).")
    var certDir = env("EDGE_CERT_DIR", ".state/certs")
    @Option(help: "Seconds between full tenant refreshes (env EDGE_TENANT_REFRESH).")
    var tenantRefresh = Int(env("EDGE_TENANT_REFRESH", "5"))!
    @Option(help: "Seconds between looks for new or renewed certificates (env EDGE_CERT_RELOAD).")
    var certReload = Int(env("EDGE_CERT_RELOAD", "2"))!
    @Option(help: "Access log: 'stdout', 'off' or a file path; one JSON line per request (env EDGE_ACCESS_LOG).")
    var accessLog = env("EDGE_ACCESS_LOG", "stdout")
    @Option(help: "Cache budget in MiB (env EDGE_CACHE_MB).") var cacheMB = Int(env("EDGE_CACHE_MB", "256"))!
    @Option(help: "Event loop threads; 0 means one per core (env EDGE_THREADS).") var threads = Int(env("EDGE_THREADS", "0"))!
    @Option(help: "Admin listener port for /health and the purge API; 0 disables it (env EDGE_ADMIN_PORT).")
    var adminPort = Int(env("EDGE_ADMIN_PORT", "9190"))!
    @Option(help: "Admin listener address (env EDGE_ADMIN_BIND).") var adminBind = env("EDGE_ADMIN_BIND", "127.0.0.1")
    @Option(help: "Bearer token of the purge API (env EDGE_ADMIN_TOKEN).")
    var adminToken = env("EDGE_ADMIN_TOKEN", "dev-edge-admin-token")
    @Option(help: "Redis host:port for tenant-change and purge events, or 'off' (env EDGE_REDIS).")
    var redis = env("EDGE_REDIS", "127.0.0.1:56379")
    @Option(help: "Seconds between origin health probes; 0 turns active checks off (env EDGE_HEALTH_INTERVAL).")
    var healthInterval = Int(env("EDGE_HEALTH_INTERVAL", "2"))!
    @Option(help: "Path of the origin health probe (env EDGE_HEALTH_PATH).") var healthPath = env("EDGE_HEALTH_PATH", "/health")
    @Option(help: "Status a healthy origin answers (env EDGE_HEALTH_STATUS).") var healthStatus = Int(env("EDGE_HEALTH_STATUS", "200"))!
    @Option(help: "Host sent with health probes; empty sends the origin's address (env EDGE_HEALTH_HOST).")
    var healthHost = env("EDGE_HEALTH_HOST", "")
    @Option(help: "Origin statuses that count towards ejection, e.g. 502,503; empty: none (env EDGE_EJECT_ON_STATUSES).")
    var ejectOnStatuses = env("EDGE_EJECT_ON_STATUSES", "")
    @Option(help: "Seconds a graceful shutdown (SIGTERM, SIGINT) waits for requests in flight (env EDGE_DRAIN_TIMEOUT).")
    var drainTimeout = Int(env("EDGE_DRAIN_TIMEOUT", "25"))!
    @Flag(
        help:
            "Production mode (or env STOREFRONT_ENV=production): refuses to start with a missing, default or short (< 32 characters) token, and stores only origin responses stamped with the tenant."
    )
    var production = false
    @Flag(
        help:
            "In production mode, store origin responses without the tenant stamp too, for origins that cannot stamp (env EDGE_LENIENT_TENANT_STAMP=1)."
    )
    var lenientTenantStamp = env("EDGE_LENIENT_TENANT_STAMP", "0") == "1"
    @OptionGroup(title: "Limits and timeouts") var limits: LimitOptions
    @OptionGroup(title: "Rate limits") var rates: RateLimitOptions

    func run() async throws {
        let production = ProductionSecrets.isProduction(flag: production, environment: ProcessInfo.processInfo.environment)
        if production, let refusal = ProductionSecrets.refusal(secrets) { throw ValidationError(refusal) }
        var configuration = EdgeConfiguration(origins: [])
        configuration.requireTenantStamp = production && !lenientTenantStamp
        do {
            try configuration.setOrigins(parsing: origins)
            try configuration.setRedis(parsing: redis)
            try configuration.setTenants(parsing: tenants, originInternal: originInternal)
        } catch { throw ValidationError(error.description) }
        configuration.bindHost = bind
        configuration.httpsPort = httpsPort
        configuration.httpPort = httpPort == 0 ? nil : httpPort
        configuration.publicHTTPSPort = publicHTTPSPort == 0 ? nil : publicHTTPSPort
        configuration.internalToken = internalToken
        configuration.certificateDirectory = certDir
        configuration.tenantRefreshInterval = .seconds(tenantRefresh)
        configuration.certificateReloadInterval = .seconds(certReload)
        configuration.setAccessLog(parsing: accessLog)
        configuration.cacheByteBudget = cacheMB * 1024 * 1024
        configuration.eventLoopThreads = threads
        configuration.admin = adminPort == 0 ? nil : .init(bindHost: adminBind, port: adminPort, token: adminToken)
        configuration.originHealthCheck = healthInterval == 0 ? nil : healthCheck()
        configuration.originPolicy.ejectOnStatuses = Set(ejectOnStatuses.split(separator: ",").compactMap { Int($0) })
        guard drainTimeout > 0 else { throw ValidationError("--drain-timeout must be at least 1 second") }
        configuration.drainTimeout = .seconds(Int64(drainTimeout))
        limits.apply(to: &configuration)
        rates.apply(to: &configuration)
        var logger = Logger(label: "edge")
        logger.logLevel = Logger.Level(rawValue: env("LOG_LEVEL", "info")) ?? .info
        try await EdgeAssembly.run(configuration: configuration, logger: logger)
    }
}

extension EdgeCommand {
    /// The secrets production mode checks: the internal token when tenants come from the origins, the purge
    /// API's token when the admin listener is on, the rate-limit exemption when one is set.
    var secrets: [(setting: String, value: String?)] {
        var secrets: [(setting: String, value: String?)] = []
        if tenants == "origin" { secrets.append(("--internal-token / INTERNAL_TOKEN", internalToken)) }
        if adminPort != 0 { secrets.append(("--admin-token / EDGE_ADMIN_TOKEN", adminToken)) }
        if !rates.rateExemptToken.isEmpty { secrets.append(("--rate-exempt-token / EDGE_RATE_EXEMPT_TOKEN", rates.rateExemptToken)) }
        return secrets
    }

    func healthCheck() -> OriginHealthService.Check {
        var check = OriginHealthService.Check()
        check.interval = .seconds(healthInterval)
        check.path = healthPath
        check.expectedStatus = healthStatus
        check.host = healthHost.isEmpty ? nil : healthHost
        return check
    }
}

func env(_ name: String, _ fallback: String) -> String {
    ProcessInfo.processInfo.environment[name] ?? fallback
}
