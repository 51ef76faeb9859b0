import Logging
import RedisClient
import ServiceLifecycle
import Shared

/// Refreshes the tenant directory as soon as the origin announces a change on Redis pub/sub, so a new
/// storefront is served within a second; the periodic refresh of ``TenantRefreshService`` stays as the
/// safety net for missed events. Reconnects (and refreshes, since events may have been missed) when Redis
/// comes back.
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
            var connectedBefore = false
            while !Task.isCancelled {
                do {
                    let subscriber = try await RedisSubscriber.subscribe(to: [StorefrontEvents.tenantsChannel], host: host, port: port)
                    if connectedBefore { await refresher.refreshOnce() }
                    connectedBefore = true
                    await withTaskCancellationHandler {
                        for await _ in subscriber.messages {
                            await refresher.refreshOnce()
                        }
                    } onCancel: {
                        Task { await subscriber.close() }
                    }
                    logger.warning("tenant events connection lost; reconnecting")
                } catch {
                    logger.debug("tenant events unavailable", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
