import Logging
import RedisClient
import ServiceLifecycle
import Shared

/// Refreshes the tenant directory as soon as the origin announces a change on Redis pub/sub, so a new
/// storefront is served within a second; the periodic refresh of ``TenantRefreshService`` stays as the
/// safety net for missed events. Reconnects (and refreshes, since events may have been missed) when Redis
/// comes back.
///
/// Tenant changes stay on pub/sub, unlike purges (``PurgeEventsService``): the directory is state, reloaded
/// whole from the origin, so a refresh after every reconnection catches up on anything missed, while a
/// missed purge leaves nothing to reload from. The origin still keeps these events in its outbox until Redis
/// took them.
public struct TenantEventsService: Service {
    let host: String
    let port: Int
    let refresher: TenantRefreshService
    let logger: Logger

    /// - Parameters:
    ///   - host: Redis host.
    ///   - port: Redis port.
    ///   - refresher: what to run on each event.
    ///   - logger: the edge's logger.
    public init(host: String, port: Int, refresher: TenantRefreshService, logger: Logger) {
        self.host = host
        self.port = port
        self.refresher = refresher
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await RedisSubscriber.listen(
                to: [StorefrontEvents.tenantsChannel],
                host: host,
                port: port,
                connected: { reconnected in
                    // Events may have been missed while disconnected.
                    if reconnected { await refresher.refreshOnce() }
                },
                received: { _ in await refresher.refreshOnce() }
            )
        }
    }
}
