import Foundation
import Logging
import RedisClient
import ServiceLifecycle
import Shared

/// Applies the origin's purge events (Redis pub/sub, ``StorefrontEvents/purgeChannel``) to this edge's cache,
/// so a changed product leaves every edge's cache at once. Each event purges only inside its own tenant.
/// Reconnects when Redis goes away; events sent meanwhile are lost, and objects then live at most their
/// `s-maxage`.
public struct PurgeEventsService: Service {
    let host: String
    let port: Int
    let server: EdgeServer
    let logger: Logger

    public init(host: String, port: Int, server: EdgeServer, logger: Logger) {
        self.host = host
        self.port = port
        self.server = server
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await RedisSubscriber.listen(to: [StorefrontEvents.purgeChannel], host: host, port: port) { message in
                apply(message.payload)
            }
        }
    }

    func apply(_ payload: [UInt8]) {
        guard let event = try? JSONDecoder().decode(PurgeEvent.self, from: Data(payload)) else {
            logger.warning("malformed purge event ignored")
            return
        }
        // Only tags of the event's own tenant count, whatever the event says.
        let tags = SurrogateKey.parse(event.tags.joined(separator: " "), for: event.tenant).map(\.rawValue)
        let removed = server.purge(tenant: event.tenant, tags: tags, soft: event.soft)
        if let publishedAt = event.publishedAt {
            server.recordPurgePropagation(seconds: Date().timeIntervalSince1970 - publishedAt)
        }
        logger.debug("purged", metadata: ["tenant": "\(event.tenant)", "tags": "\(tags)", "objects": "\(removed)"])
    }
}
