import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import RedisClient
import ServiceLifecycle
import Shared

/// Builds the origin: database clients and replica monitor (as services), Redis cache and events, tenant
/// resolution, the storefront listener (what the edges forward) and the internal listener (platform routes,
/// `/metrics`; never forwarded by an edge).
public enum OriginApplication {
    /// Builds a runnable origin application; ``OriginAssembly`` wraps it in the service group the `origin`
    /// executable and the tests run.
    /// - Parameters:
    ///   - configuration: listeners, databases, Redis, tokens.
    ///   - logger: the origin's logger.
    ///   - metrics: the registry `/metrics` on the admin listener exposes (the process bootstraps
    ///     swift-metrics with it); `nil` serves an empty page.
    ///   - cache: the origin cache; by default Redis from the configuration.
    ///   - events: the event publisher; by default the outbox on the primary, relayed to Redis.
    ///   - onServerRunning: called with the bound channel once the storefront listener is up (tests read the
    ///     port here).
    ///   - onInternalServerRunning: the same for the internal listener.
    static func build(
        configuration: OriginConfiguration,
        logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil,
        cache: (any OriginCache)? = nil,
        events: (any EventPublisher)? = nil,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
        onInternalServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let primary = PostgresClient(configuration: configuration.primary.clientConfiguration(), backgroundLogger: logger)
        let replica = PostgresClient(configuration: configuration.replica.clientConfiguration(), backgroundLogger: logger)
        let monitor = ReplicaMonitor(
            primary: configuration.primary.connectionConfiguration(connectTimeout: configuration.replicaMonitor.probeTimeout),
            replica: configuration.replica.connectionConfiguration(connectTimeout: configuration.replicaMonitor.probeTimeout),
            configuration: configuration.replicaMonitor,
            logger: logger
        )
        let database = TenantDatabase(primary: primary, replica: replica, monitor: monitor, routing: configuration.routing, logger: logger)
        let redis = RedisClient(configuration: configuration.redis)
        let directory = StorefrontDirectory(database: database, ttl: configuration.storefrontCacheTTL, logger: logger)
        let outbox = EventOutbox(primary: primary, destination: "\(configuration.redis.host):\(configuration.redis.port)", logger: logger)
        let bus = RedisEventBus(client: redis)
        let services = OriginServices(
            configuration: configuration,
            database: database,
            directory: directory,
            cache: cache ?? RedisOriginCache(client: redis, logger: logger),
            events: events ?? OutboxEventPublisher(outbox: outbox, bus: bus, logger: logger),
            logger: logger
        )
        return Application(
            router: buildRouter(services),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [
                primary, replica, monitor, OutboxRelay(outbox: outbox, bus: bus, logger: logger),
                TenantEventsListener(redis: configuration.redis, directory: directory, logger: logger),
                internalApplication(services: services, metrics: metrics, onServerRunning: onInternalServerRunning),
            ],
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    /// The internal listener, on a port of its own that no edge forwards to and no ingress exposes: `/health`,
    /// `/metrics`, the edges' tenant list (`/internal/tenants`, internal token) and the platform routes
    /// (`/admin/tenants…`, admin token).
    static func internalApplication(
        services: OriginServices,
        metrics: PrometheusCollectorRegistry?,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let configuration = services.configuration
        return Application(
            router: buildInternalRouter(services, metrics: metrics),
            configuration: .init(address: .hostname(configuration.adminHost ?? configuration.host, port: configuration.adminPort), serverName: nil),
            onServerRunning: onServerRunning,
            logger: services.logger
        )
    }

    /// The internal listener's routes (see ``internalApplication(services:metrics:onServerRunning:)``).
    static func buildInternalRouter(_ services: OriginServices, metrics: PrometheusCollectorRegistry?) -> Router<OriginRequestContext> {
        let router = Router(context: OriginRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.get("/health") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ -> Response in
            var text: [UInt8] = []
            metrics?.emit(into: &text)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: text))
            )
        }
        router.get("/internal/tenants") { request, _ -> Response in
            guard let token = request.headers[.storefrontInternalToken],
                HTTPComparisons.constantTimeEquals(token, services.configuration.internalToken)
            else { throw HTTPError(.unauthorized, message: "internal token required") }
            return try Responses.json(TenantListBody(tenants: try await services.storefronts.allEntries()))
        }
        AdminRoutes.addPlatformRoutes(to: router, services: services)
        return router
    }

    /// The storefront listener's routes: what the edges forward, for resolved storefronts only (and `/health`).
    static func buildRouter(_ services: OriginServices) -> Router<OriginRequestContext> {
        let router = Router(context: OriginRequestContext.self)
        // Request counts and latency by route template (bounded labels), for /metrics.
        router.add(middleware: MetricsMiddleware())
        router.get("/health") { _, _ in "ok\n" }

        // Everything below runs for a resolved storefront only, inside its tenant scope.
        router.add(middleware: TenantMiddleware(directory: services.directory))
        let storefront = router.group(context: TenantRequestContext.self)
        CatalogueRoutes.add(to: storefront, services: services)
        OrderRoutes.add(to: storefront, services: services)
        AdminRoutes.addTenantRoutes(to: storefront, services: services)
        return router
    }
}

/// `{"tenants": [...]}`, the body of `GET /internal/tenants` (the edge reads it as its `TenantList`).
struct TenantListBody: Encodable {
    var tenants: [TenantDirectoryEntry]
}

/// Forgets cached Host resolutions when a tenant-change event arrives, so a new storefront is served at once
/// even where its domain was recently looked up as unknown. Reconnects when Redis goes away.
struct TenantEventsListener: Service {
    let redis: RedisClient.Configuration
    let directory: StorefrontDirectory
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await RedisSubscriber.listen(
                to: [StorefrontEvents.tenantsChannel],
                host: redis.host,
                port: redis.port,
                // Events may have been missed while disconnected.
                connected: { _ in directory.invalidateAll() },
                received: { message in
                    if let domain = HostName(normalising: String(decoding: message.payload, as: UTF8.self)) {
                        directory.invalidate(domain)
                    } else {
                        directory.invalidateAll()
                    }
                }
            )
        }
    }
}
