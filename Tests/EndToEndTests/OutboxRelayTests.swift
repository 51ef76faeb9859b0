import Foundation
import RedisClient
import Shared
import TestSupport
import Testing

@testable import Origin

/// The event outbox on the primary, as the application role, relayed to a redis-server of the test's own.
@Suite struct OutboxRelayTests {
    /// Two origins' relays drain one outbox together: every event reaches the stream, and the outbox empties.
    @Test func twoRelaysShareTheOutbox() async throws {
        let redis = try await RedisServerProcess.start(persistent: false)
        let client = RedisClient.forTests(port: redis.port)
        do {
            try await drainTogether(redis: redis, client: client)
            await client.shutdown()
            await redis.remove()
        } catch {
            await client.shutdown()
            await redis.remove()
            throw error
        }
    }

    private func drainTogether(redis: RedisServerProcess, client: RedisClient) async throws {
        try await TestDatabase.with { db in
            let outbox = EventOutbox(primary: db.primary, destination: "127.0.0.1:\(redis.port)", logger: TestEnvironment.logger)
            let tenant = TestEnvironment.uniqueTenant(name: "Relay").id
            let count = 120
            for index in 0..<count {
                let event = PurgeEvent(tenant: tenant, tags: [.product(tenant, Int64(index))])
                _ = try await outbox.add(OutboxEvent(kind: .purge, payload: String(decoding: try JSONEncoder().encode(event), as: UTF8.self)))
            }
            #expect(try await outbox.pendingCount() == count)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    var relay = OutboxRelay(outbox: outbox, bus: RedisEventBus(client: client), logger: TestEnvironment.logger)
                    relay.batchSize = 7
                    group.addTask { try await relay.relayPending() }
                }
                try await group.waitForAll()
            }

            #expect(try await outbox.pendingCount() == 0)
            let reply = try await client.send("XRANGE", StorefrontEvents.purgeStream, "-", "+")
            let entries = try #require(RESPValue.array([.array([.bulkString(Array(StorefrontEvents.purgeStream.utf8)), reply])]).streamEntries)
            let products = try entries.map { entry -> String in
                let payload = try #require(entry.fields[StorefrontEvents.purgeStreamField])
                return try JSONDecoder().decode(PurgeEvent.self, from: Data(payload)).tags[0]
            }
            // At least once each; with SKIP LOCKED, never twice here (no publish failed).
            #expect(Set(products) == Set((0..<count).map { SurrogateKey.product(tenant, Int64($0)).rawValue }))
            #expect(products.count == count)
        }
    }
}
