import Logging
import PostgresNIO

/// An event waiting to be published: its kind and its payload as Redis carries it.
struct OutboxEvent: Sendable, Equatable {
    enum Kind: String, Sendable {
        /// A ``Shared/PurgeEvent`` as JSON.
        case purge
        /// A changed storefront's domain.
        case tenants
    }

    var kind: Kind
    var payload: String
}

/// The durable outbox of events on the primary (`event_outbox`, a platform table): an event is kept there
/// until Redis accepted it, so an origin that cannot reach Redis never drops one. Rows are partitioned by
/// `destination` (the Redis address), and every origin's ``OutboxRelay`` publishes the rows of its own.
struct EventOutbox: Sendable {
    let primary: PostgresClient
    /// The Redis the events go to, `host:port`.
    let destination: String
    let logger: Logger

    /// Keeps `event`; returns its row id.
    /// - Parameter event: the event.
    func add(_ event: OutboxEvent) async throws -> Int64 {
        let rows = try await primary.query(
            """
            INSERT INTO event_outbox (destination, kind, payload)
            VALUES (\(destination), \(event.kind.rawValue), \(event.payload)) RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { return id }
        throw OutboxError.noRowID
    }

    enum OutboxError: Error { case noRowID }

    /// Forgets a published event, unless a relay holds it right now (it then publishes it again: harmless).
    /// - Parameter id: its row id.
    func remove(_ id: Int64) async throws {
        try await primary.query(
            "DELETE FROM event_outbox WHERE id = (SELECT id FROM event_outbox WHERE id = \(id) FOR UPDATE SKIP LOCKED)",
            logger: logger
        )
    }

    /// Publishes up to `limit` of the oldest pending events with `publish` and forgets them, in one
    /// transaction: rows another origin's relay holds are skipped, and if `publish` fails nothing is forgotten
    /// (events already published then go again: delivery is at least once).
    /// - Parameters:
    ///   - limit: the most events to publish.
    ///   - publish: sends one event to Redis; throws if Redis did not accept it.
    /// - Returns: how many events were published.
    func relay(limit: Int, _ publish: @Sendable (OutboxEvent) async throws -> Void) async throws -> Int {
        try await primary.withConnection { connection in
            try await connection.withTransaction(logger: logger) { transaction in
                let rows = try await transaction.query(
                    """
                    SELECT id, kind, payload FROM event_outbox WHERE destination = \(destination)
                    ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                    """,
                    logger: logger
                )
                var pending: [(id: Int64, kind: String, payload: String)] = []
                for try await row in rows.decode((Int64, String, String).self) { pending.append(row) }
                for row in pending {
                    if let kind = OutboxEvent.Kind(rawValue: row.kind) {
                        try await publish(OutboxEvent(kind: kind, payload: row.payload))
                    }
                }
                let ids = pending.map(\.id)
                if !ids.isEmpty {
                    try await transaction.query("DELETE FROM event_outbox WHERE id = ANY(\(ids))", logger: logger)
                }
                return ids.count
            }
        }
    }

    /// How many events wait for this destination.
    func pendingCount() async throws -> Int {
        let rows = try await primary.query(
            "SELECT count(*) FROM event_outbox WHERE destination = \(destination)",
            logger: logger
        )
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
