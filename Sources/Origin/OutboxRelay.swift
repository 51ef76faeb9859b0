import Logging
import Metrics
import ServiceLifecycle

/// Publishes the events left in the outbox (``EventOutbox``) whenever Redis takes them: every origin runs
/// one, and `FOR UPDATE SKIP LOCKED` lets them share the rows. It looks every ``interval`` while Redis
/// accepts events, and retries with a doubling delay up to ``maximumBackoff`` while Redis (or the primary)
/// fails. Stops at graceful shutdown; rows it did not publish wait for another origin or the next start.
struct OutboxRelay: Service {
    let outbox: EventOutbox
    let bus: RedisEventBus
    let logger: Logger
    /// How often the outbox is looked at when all is well (the publisher publishes at once; this catches
    /// the events it could not).
    var interval: Duration = .seconds(1)
    /// The longest wait between two attempts while failing.
    var maximumBackoff: Duration = .seconds(2)
    /// Events published per transaction.
    var batchSize = 100
    private let relayed = Counter(label: "storefront_event_outbox_relayed_total")

    init(outbox: EventOutbox, bus: RedisEventBus, logger: Logger) {
        self.outbox = outbox
        self.bus = bus
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff: Duration = .zero
            // The publisher publishes at once: the relay only has leftovers to look for, after an interval.
            try? await Task.sleep(for: interval)
            while !Task.isCancelled {
                do {
                    try await relayPending()
                    if backoff != .zero { logger.info("outbox relay publishing again") }
                    backoff = .zero
                } catch {
                    if backoff == .zero {
                        logger.warning("outbox relay cannot publish; retrying", metadata: ["error": "\(error)"])
                    }
                    backoff = backoff == .zero ? .milliseconds(250) : min(backoff * 2, maximumBackoff)
                }
                try? await Task.sleep(for: backoff == .zero ? interval : backoff)
            }
        }
    }

    /// Publishes batches until the outbox holds none for this destination.
    func relayPending() async throws {
        let bus = self.bus
        while true {
            let published = try await outbox.relay(limit: batchSize) { try await bus.publish($0) }
            if published > 0 { relayed.increment(by: published) }
            if published < batchSize { return }
        }
    }
}
