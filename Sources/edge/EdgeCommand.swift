import ArgumentParser
import EdgeGateway
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

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
    @Option(help: "Origins: host:port,... or file:<path> (host:port lines, re-read every 2 s) or dns:<name>:<port> (every address of the name, re-resolved every 2 s) (env EDGE_ORIGINS).")
    var origins = env("EDGE_ORIGINS", "127.0.0.1:8081,127.0.0.1:8082")
    @Option(help: "Tenant source: 'origin' (the origins' /internal/tenants) or a JSON file path (env EDGE_TENANTS).")
    var tenants = env("EDGE_TENANTS", "origin")
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

    func run() async throws {
        var logger = Logger(label: "edge")
        logger.logLevel = Logger.Level(rawValue: env("LOG_LEVEL", "info")) ?? .info
        var discovery: OriginDiscoveryService.Source?
        if origins.hasPrefix("file:") {
            discovery = .file(String(origins.dropFirst(5)))
        } else if origins.hasPrefix("dns:"), let target = HTTPEndpoint(parsing: origins.dropFirst(4)) {
            discovery = .dns(host: target.host, port: target.port)
        }
        var endpoints = origins.split(separator: ",").compactMap { HTTPEndpoint(parsing: $0.trimmingCharacters(in: .whitespaces)) }
        if let discovery {
            let probe = OriginPool(endpoints: [])
            OriginDiscoveryService(pool: probe, source: discovery, logger: logger).refreshOnce()
            endpoints = probe.endpoints
        }
        guard !endpoints.isEmpty else { throw ValidationError("no valid origin in '\(origins)'") }

        var configuration = EdgeConfiguration(origins: endpoints)
        configuration.bindHost = bind
        configuration.httpsPort = httpsPort
        configuration.httpPort = httpPort == 0 ? nil : httpPort
        configuration.publicHTTPSPort = publicHTTPSPort == 0 ? nil : publicHTTPSPort
        configuration.cacheByteBudget = cacheMB * 1024 * 1024
        configuration.accessLog = accessLog == "off" ? nil : accessLog == "stdout" ? .standardOutput : .file(accessLog)

        let eventLoops: MultiThreadedEventLoopGroup =
            threads > 0 ? MultiThreadedEventLoopGroup(numberOfThreads: threads) : .singleton
        let registry = TenantRegistry(certificateDirectory: certDir, logger: logger)
        let server = try EdgeServer(configuration: configuration, registry: registry, group: eventLoops, logger: logger)
        let pool = server.originPool
        let source: any TenantSource =
            tenants == "origin"
            ? OriginTenantSource(
                client: try HTTP1Client(group: eventLoops),
                pool: { [pool] in pool.endpoints },
                token: internalToken,
                eventLoop: eventLoops.next()
            )
            : StaticFileTenantSource(path: tenants)
        let refresher = TenantRefreshService(
            source: source,
            registry: registry,
            interval: .seconds(tenantRefresh),
            logger: logger
        )
        await refresher.refreshOnce()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: refresher),
            .init(service: OriginHealthService(pool: pool, client: server.originClient, eventLoop: eventLoops.next(), logger: logger)),
            .init(service: CertificateWatchService(registry: registry, interval: .seconds(certReload))),
        ]
        if redis != "off" {
            guard let endpoint = HTTPEndpoint(parsing: redis) else { throw ValidationError("invalid --redis '\(redis)'") }
            services.append(.init(service: TenantEventsService(host: endpoint.host, port: endpoint.port, refresher: refresher, logger: logger)))
            services.append(.init(service: PurgeEventsService(host: endpoint.host, port: endpoint.port, server: server, logger: logger)))
        }
        if let discovery {
            services.append(.init(service: OriginDiscoveryService(pool: pool, source: discovery, logger: logger)))
        }
        services.append(.init(service: EdgeService(server: server)))
        var admin: (any Channel)?
        if adminPort != 0 {
            admin = try await EdgeAdminServer.start(host: adminBind, port: adminPort, token: adminToken, server: server, logger: logger)
            logger.info("edge admin listening", metadata: ["address": "\(adminBind):\(adminPort)"])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        try? await admin?.close()
    }
}

func env(_ name: String, _ fallback: String) -> String {
    ProcessInfo.processInfo.environment[name] ?? fallback
}
