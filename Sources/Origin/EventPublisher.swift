import Foundation
import Logging
import Metrics
import RedisClient
import Shared

/// Publishes tenant-change and purge events for every edge and origin.
public protocol EventPublisher: Sendable {
    /// The storefront of `domain` was created or changed.
    func tenantsChanged(domain: HostName) async
    /// Cached responses of `event.tenant` carrying `event.tags` must go.
    func purge(_ event: PurgeEvent) async
}

/// ``EventPublisher`` on Redis pub/sub. A failed publish is logged and counted; the edges' periodic full
/// refresh and cache lifetimes bound the damage (a missed purge lives at most `s-maxage`).
public struct RedisEventPublisher: EventPublisher {
    let client: RedisClient
    let logger: Logger
    private let failures = Counter(label: "storefront_event_publish_failures_total")

    public init(client: RedisClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func tenantsChanged(domain: HostName) async {
        await publish(StorefrontEvents.tenantsChannel, Array(domain.rawValue.utf8))
    }

    public func purge(_ event: PurgeEvent) async {
        guard let payload = try? JSONEncoder().encode(event) else { return }
        await publish(StorefrontEvents.purgeChannel, Array(payload))
    }

    private func publish(_ channel: String, _ payload: [UInt8]) async {
        do {
            try await client.send([Array("PUBLISH".utf8), Array(channel.utf8), payload])
        } catch {
            failures.increment()
            logger.error("event not published", metadata: ["channel": "\(channel)", "error": "\(error)"])
        }
    }
}
