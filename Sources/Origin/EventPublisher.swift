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

/// ``EventPublisher`` through the durable outbox: each event is written to `event_outbox` on the primary
/// right after the change it announces, published to Redis at once, and forgotten once Redis accepted it.
/// When Redis cannot take it, it stays in the outbox and an ``OutboxRelay`` (on any origin) publishes it as
/// soon as Redis is back. Only when the outbox itself cannot be written (the primary went away between the
/// change and the event) is the event published directly, and if that fails too it is lost: logged and
/// counted in `storefront_event_publish_failures_total`.
struct OutboxEventPublisher: EventPublisher {
    let outbox: EventOutbox
    let bus: RedisEventBus
    let logger: Logger
    private let failures = Counter(label: "storefront_event_publish_failures_total")

    init(outbox: EventOutbox, bus: RedisEventBus, logger: Logger) {
        self.outbox = outbox
        self.bus = bus
        self.logger = logger
    }

    func tenantsChanged(domain: HostName) async {
        await deliver(OutboxEvent(kind: .tenants, payload: domain.rawValue))
    }

    func purge(_ event: PurgeEvent) async {
        guard let payload = try? JSONEncoder().encode(event) else { return }
        await deliver(OutboxEvent(kind: .purge, payload: String(decoding: payload, as: UTF8.self)))
    }

    private func deliver(_ event: OutboxEvent) async {
        let id: Int64
        do {
            id = try await outbox.add(event)
        } catch {
            logger.warning("event not kept in the outbox: publishing directly", metadata: ["error": "\(error)"])
            do {
                try await bus.publish(event)
            } catch {
                failures.increment()
                logger.error("event lost", metadata: ["kind": "\(event.kind)", "error": "\(error)"])
            }
            return
        }
        do {
            try await bus.publish(event)
        } catch {
            logger.warning("event kept in the outbox for the relay", metadata: ["kind": "\(event.kind)", "error": "\(error)"])
            return
        }
        // If this fails the relay publishes the event once more: harmless.
        try? await outbox.remove(id)
    }
}

/// Puts events on Redis: a purge is appended to the stream ``StorefrontEvents/purgeStream`` (what the edges
/// read, at least once) and published on ``StorefrontEvents/purgeChannel`` (pub/sub, for subscribers that do
/// not read the stream); a tenant change is published on ``StorefrontEvents/tenantsChannel``.
struct RedisEventBus: Sendable {
    let client: RedisClient

    /// Sends `event`; returns once Redis accepted it.
    /// - Parameter event: the event.
    func publish(_ event: OutboxEvent) async throws {
        let payload = Array(event.payload.utf8)
        switch event.kind {
        case .purge:
            try await client.send(
                [
                    "XADD", StorefrontEvents.purgeStream, "MAXLEN", "~", "\(StorefrontEvents.purgeStreamLength)", "*",
                    StorefrontEvents.purgeStreamField,
                ].map { Array($0.utf8) } + [payload]
            )
            try await client.send([Array("PUBLISH".utf8), Array(StorefrontEvents.purgeChannel.utf8), payload])
        case .tenants:
            try await client.send([Array("PUBLISH".utf8), Array(StorefrontEvents.tenantsChannel.utf8), payload])
        }
    }
}
