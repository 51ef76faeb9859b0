import EdgeCore
import Foundation
import Logging
import NIOCore
import RedisClient
import ServiceLifecycle
import Shared
import Synchronization

/// Applies the origin's purge events to this edge's cache, so a changed product leaves every edge's cache at
/// once. Each event purges only inside its own tenant.
///
/// Delivery is at least once: the edge reads the Redis stream ``StorefrontEvents/purgeStream`` on from the
/// last entry it applied (kept in memory), and on every reconnection resumes from there, so purges published
/// while it was cut off reach it when it comes back. When it cannot know what it missed (see
/// ``PurgeStreamSync``: the stream was lost or trimmed past its position), it drops every cached object of
/// every tenant. It also listens on the pub/sub channel ``StorefrontEvents/purgeChannel`` (at most once), for
/// publishers that do not write the stream; a purge arriving both ways is applied twice, which is harmless.
public struct PurgeEventsService: Service {
    let host: String
    let port: Int
    let server: EdgeServer
    let logger: Logger
    private let position = PositionBox()

    /// How long one `XREAD` waits for new entries; cancellation closes the connection, so it never delays a
    /// shutdown.
    static let blockMilliseconds = 1000
    /// Entries read per `XREAD`.
    static let batchSize = 100

    /// - Parameters:
    ///   - host: Redis host.
    ///   - port: Redis port.
    ///   - server: the edge whose cache the purges apply to.
    ///   - logger: the edge's logger.
    public init(host: String, port: Int, server: EdgeServer, logger: Logger) {
        self.host = host
        self.port = port
        self.server = server
        self.logger = logger
    }

    /// Takes the edge's first position in the stream (its end now) before the edge serves, so that the first
    /// connection of ``run()`` finds a position and drops nothing. Gives up quietly after about a second:
    /// then ``run()`` drops what was cached meanwhile when it first connects.
    public func takeInitialPosition() async {
        guard let connection = try? await RedisConnection.connect(host: host, port: port, connectTimeout: .seconds(1)) else { return }
        defer { Task { await connection.close() } }
        _ = try? await synchronise(connection)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await followStream() }
                group.addTask {
                    await RedisSubscriber.listen(to: [StorefrontEvents.purgeChannel], host: host, port: port) { message in
                        // The stream brings the same purges: only its copies are timed.
                        apply(message.payload, timed: false)
                    }
                }
            }
        }
    }

    /// Reads the stream until cancelled, reconnecting a second after every failure.
    private func followStream() async {
        while !Task.isCancelled {
            do {
                let connection = try await RedisConnection.connect(host: host, port: port, connectTimeout: .seconds(1))
                do {
                    try await withTaskCancellationHandler {
                        try await synchronise(connection)
                        while !Task.isCancelled { try await readBatch(connection) }
                    } onCancel: {
                        Task { await connection.close() }
                    }
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
            } catch {
                logger.debug("purge stream unavailable", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Compares the edge's position with the stream on connecting, and drops the cache if it must.
    private func synchronise(_ connection: RedisConnection) async throws {
        let epochKey = Array(StorefrontEvents.purgeStreamEpoch.utf8)
        try await connection.send([Array("SET".utf8), epochKey, Array(UUID().uuidString.utf8), Array("NX".utf8)])
        guard let epoch = try await connection.send([Array("GET".utf8), epochKey]).string else { throw RedisError.protocolError }
        let observed = try await observe(connection, epoch: epoch)
        settle(PurgeStreamSync.connected(at: position.current, observed: observed))
    }

    /// The stream's ends now.
    private func observe(_ connection: RedisConnection, epoch: String) async throws -> PurgeStreamSync.Observed {
        let info: RedisStreamInfo
        do {
            let reply = try await connection.send("XINFO", "STREAM", StorefrontEvents.purgeStream)
            guard let parsed = reply.streamInfo else { throw RedisError.protocolError }
            info = parsed
        } catch RedisError.server(let message) where message.contains("no such key") {
            return .init(epoch: epoch, lastGenerated: .zero, maxDeleted: .zero)
        }
        guard let lastGenerated = StreamEntryID(info.lastGeneratedID) else { throw RedisError.protocolError }
        // Redis before 7 does not report trimming: there only a lost stream (epoch, ends) is detected.
        let maxDeleted = info.maxDeletedEntryID.flatMap { StreamEntryID($0) } ?? .zero
        return .init(epoch: epoch, lastGenerated: lastGenerated, maxDeleted: maxDeleted)
    }

    /// Applies a decision: drops the cache if needed and takes the position.
    private func settle(_ decision: PurgeStreamSync.Decision) {
        switch decision {
        case .resume(let resumed):
            position.current = resumed
        case .dropAll(let reason, let then):
            let dropped = dropEverything()
            position.current = then
            // At start the cache is empty: nothing was missed, nothing to say.
            logger.log(
                level: reason == .noPosition && dropped == 0 ? .debug : .warning,
                "purges may have been missed: dropped every cached object",
                metadata: ["reason": "\(reason.rawValue)", "objects": "\(dropped)", "resume-after": "\(then.lastApplied)"]
            )
        }
    }

    /// Reads and applies the next entries (waiting up to ``blockMilliseconds`` for some).
    private func readBatch(_ connection: RedisConnection) async throws {
        guard let before = position.current else { throw RedisError.protocolError }
        let reply = try await connection.sendClosingOnCancel(
            [
                "XREAD", "COUNT", "\(Self.batchSize)", "BLOCK", "\(Self.blockMilliseconds)", "STREAMS",
                StorefrontEvents.purgeStream, "\(before.lastApplied)",
            ].map { Array($0.utf8) },
            timeout: .milliseconds(Int64(Self.blockMilliseconds) + 2000)
        )
        guard let entries = reply.streamEntries else { throw RedisError.protocolError }
        for entry in entries {
            if let payload = entry.fields[StorefrontEvents.purgeStreamField] { apply(payload) }
            if let id = StreamEntryID(entry.id) { position.current?.lastApplied = id }
        }
        // A full batch means this edge is behind: check nothing it has not read yet was trimmed meanwhile.
        if entries.count == Self.batchSize {
            let observed = try await observe(connection, epoch: before.epoch)
            if case .dropAll = PurgeStreamSync.connected(at: before, observed: observed) {
                settle(PurgeStreamSync.connected(at: before, observed: observed))
            }
        }
    }

    /// Drops every cached object of every tenant; returns how many.
    private func dropEverything() -> Int {
        server.runtime.cache.tenantUsage.keys.reduce(0) { count, tenant in
            count + server.purge(tenant: tenant, tags: [SurrogateKey.tenant(tenant).rawValue])
        }
    }

    /// Applies one purge event.
    /// - Parameters:
    ///   - payload: a ``PurgeEvent`` as JSON.
    ///   - timed: whether its propagation latency is recorded (once per event, though it arrives twice).
    func apply(_ payload: [UInt8], timed: Bool = true) {
        guard let event = try? JSONDecoder().decode(PurgeEvent.self, from: Data(payload)) else {
            logger.warning("malformed purge event ignored")
            return
        }
        // Only tags of the event's own tenant count, whatever the event says.
        let tags = SurrogateKey.parse(event.tags.joined(separator: " "), for: event.tenant).map(\.rawValue)
        let removed = server.purge(tenant: event.tenant, tags: tags, soft: event.soft)
        if timed, let publishedAt = event.publishedAt {
            server.recordPurgePropagation(seconds: Date().timeIntervalSince1970 - publishedAt)
        }
        logger.debug("purged", metadata: ["tenant": "\(event.tenant)", "tags": "\(tags)", "objects": "\(removed)"])
    }

    /// The edge's position in the stream, shared by the copies of this service value.
    private final class PositionBox: Sendable {
        private let value = Mutex<PurgeStreamPosition?>(nil)

        var current: PurgeStreamPosition? {
            get { value.withLock { $0 } }
            set { value.withLock { $0 = newValue } }
        }
    }
}
