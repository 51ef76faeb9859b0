import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Builds an edge from its configuration: the one assembly the `edge` executable and the tests share, so
/// that what the tests start is what production runs.
public enum EdgeAssembly {
    /// Builds the server and every service around it: tenant refresh (and tenant-change events), origin
    /// discovery and health checks, certificate reloads, purge events, the admin listener, then the public
    /// listeners (last, so a graceful shutdown drains them first and the admin listener answers meanwhile).
    ///
    /// The origins a file or DNS name lists and the tenants are loaded before this returns, so the edge
    /// serves its storefronts from its first connection.
    /// - Parameters:
    ///   - configuration: listeners, origins, tenants, events, admin listener.
    ///   - logger: the edge's logger.
    ///   - handlesSignals: whether SIGTERM and SIGINT start a graceful shutdown (tests trigger it themselves).
    ///   - onListening: called once every listener is bound, with the ports (tests bind port 0).
    /// - Throws: ``EdgeConfigurationError`` when no origin is known; a TLS or access-log setup error.
    public static func build(
        configuration: EdgeConfiguration,
        logger: Logger,
        handlesSignals: Bool = true,
        onListening: @escaping @Sendable (Edge.Ports) async -> Void = { _ in }
    ) async throws -> Edge {
        var configuration = configuration
        let eventLoops: any EventLoopGroup =
            configuration.eventLoopThreads > 0
            ? MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads) : MultiThreadedEventLoopGroup.singleton
        if let discovery = configuration.originDiscovery {
            let probe = OriginPool(endpoints: [])
            OriginDiscoveryService(pool: probe, source: discovery, logger: logger).refreshOnce()
            configuration.origins = probe.endpoints
            guard !configuration.origins.isEmpty else { throw EdgeConfigurationError.noDiscoveredOrigins(discovery) }
        }
        let registry = TenantRegistry(certificateDirectory: configuration.certificateDirectory, logger: logger)
        let server = try EdgeServer(configuration: configuration, registry: registry, group: eventLoops, logger: logger)
        var services = try await controlServices(configuration, registry: registry, server: server, eventLoops: eventLoops, logger: logger)
        services += upstreamServices(configuration, server: server, eventLoops: eventLoops, logger: logger)
        let report = Edge.Ports.Report(expectsAdmin: configuration.admin != nil, onListening: onListening)
        if let admin = configuration.admin {
            services.append(EdgeAdminService(listener: admin, server: server, logger: logger, onListening: report.adminListener))
        }
        services.append(EdgeService(server: server, drainTimeout: configuration.drainTimeout, onListening: report.publicListeners))
        let group = ServiceGroup(
            services: services,
            gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        return Edge(server: server, registry: registry, group: group)
    }

    /// Builds the edge and runs it until SIGTERM or SIGINT has drained it.
    /// - Parameters:
    ///   - configuration: the edge's configuration.
    ///   - logger: the edge's logger.
    public static func run(configuration: EdgeConfiguration, logger: Logger) async throws {
        try await build(configuration: configuration, logger: logger).run()
    }

    /// Tenants (loaded once now, then refreshed, and on tenant events), certificate reloads, purge events.
    private static func controlServices(
        _ configuration: EdgeConfiguration,
        registry: TenantRegistry,
        server: EdgeServer,
        eventLoops: any EventLoopGroup,
        logger: Logger
    ) async throws -> [any Service] {
        var services: [any Service] = []
        var refresher: TenantRefreshService?
        if let source = try tenantSource(configuration, server: server, eventLoops: eventLoops) {
            refresher = TenantRefreshService(
                source: source,
                registry: registry,
                interval: configuration.tenantRefreshInterval,
                logger: logger
            )
        }
        if case .fixed(let entries) = configuration.tenants { registry.update(entries) }
        if let refresher {
            await refresher.refreshOnce()
            services.append(refresher)
        }
        services.append(CertificateWatchService(registry: registry, interval: configuration.certificateReloadInterval))
        if let redis = configuration.redis {
            if let refresher {
                services.append(TenantEventsService(host: redis.host, port: redis.port, refresher: refresher, logger: logger))
            }
            let purges = PurgeEventsService(host: redis.host, port: redis.port, server: server, logger: logger)
            // Its position in the purge stream before serving: its first connection then drops nothing.
            await purges.takeInitialPosition()
            services.append(purges)
        }
        return services
    }

    /// Where tenant refreshes read the directory; `nil` for a fixed list, which is never refreshed.
    private static func tenantSource(
        _ configuration: EdgeConfiguration,
        server: EdgeServer,
        eventLoops: any EventLoopGroup
    ) throws -> (any TenantSource)? {
        switch configuration.tenants {
        case .fixed:
            return nil
        case .file(let path):
            return StaticFileTenantSource(path: path)
        case .origin(let internalEndpoints):
            return OriginTenantSource(
                client: try HTTP1Client(group: eventLoops),
                endpoints: internalEndpoints,
                token: configuration.internalToken,
                eventLoop: eventLoops.next()
            )
        }
    }

    /// Origin health checks and origin discovery.
    private static func upstreamServices(
        _ configuration: EdgeConfiguration,
        server: EdgeServer,
        eventLoops: any EventLoopGroup,
        logger: Logger
    ) -> [any Service] {
        var services: [any Service] = []
        if let check = configuration.originHealthCheck {
            services.append(
                OriginHealthService(
                    pool: server.originPool,
                    client: server.originClient,
                    eventLoop: eventLoops.next(),
                    check: check,
                    logger: logger
                )
            )
        }
        if let discovery = configuration.originDiscovery {
            services.append(OriginDiscoveryService(pool: server.originPool, source: discovery, logger: logger))
        }
        return services
    }
}
