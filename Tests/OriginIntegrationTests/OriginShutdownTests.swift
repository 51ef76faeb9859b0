import Foundation
import Origin
import PostgresNIO
import Shared
import TestSupport
import Testing

/// SIGTERM on the real `origin` binary: requests in flight finish, and the process exits within its drain
/// time even when a database server or Redis does not answer.
@Suite struct OriginShutdownTests {
    static let order = #"{"lines":[{"slug":"product-1","quantity":1}]}"#

    /// An order held back by a lock the test holds is in flight when SIGTERM arrives: the process waits for
    /// it, it is answered 201, then the process exits within the drain time.
    @Test func inFlightRequestFinishesThenTheProcessExits() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Drain Shop")
            try await db.createTenant(spec, products: 2)
            try await OriginProcess.with(["--drain-seconds", "6", "--primary-timeout-ms", "8000"]) { origin in
                try await Self.withOrderKeyLocked(db, spec.id, key: "drain") { lockingTransaction, release in
                    let response = Task {
                        try await PlainHTTP.send(
                            .POST,
                            "/api/orders",
                            host: spec.domain.rawValue,
                            port: origin.port,
                            headers: [("idempotency-key", "drain")],
                            body: Self.order
                        )
                    }
                    try await waitUntil("the origin's insert to wait for the test's lock", pollEvery: .milliseconds(20)) {
                        try await Self.waiters(db, on: lockingTransaction) > 0
                    }
                    let terminated = ContinuousClock.now
                    origin.terminate()
                    // Deliberate: the process must still be there for the request it has not answered yet.
                    try await Task.sleep(for: .milliseconds(500))
                    #expect(origin.isRunning)
                    release()
                    let answer = try await response.value
                    #expect(answer.head.status == .created)
                    try await waitUntil("the origin to exit", timeout: .seconds(20), pollEvery: .milliseconds(20)) { !origin.isRunning }
                    let took = ContinuousClock.now - terminated
                    #expect(took < .seconds(6 + 5), "exited \(took) after SIGTERM")
                }
            }
        }
    }

    /// The primary, the replica and Redis all black-holed, and a write in flight: the write is answered 503
    /// and the process exits within its drain time (it waited 20 s and more before).
    @Test func exitsWithinTheDrainTimeWhenDependenciesHang() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Stuck Shop")
            try await db.createTenant(spec, products: 2)
            let primary = try await FaultRelay.start(to: TestEnvironment.primaryPort)
            let replica = try await FaultRelay.start(to: TestEnvironment.replicaPort)
            let redis = try await FaultRelay.start(to: TestEnvironment.redisPort)
            defer {
                Task {
                    await primary.close()
                    await replica.close()
                    await redis.close()
                }
            }
            let arguments = [
                "--primary-port", "\(primary.port)", "--replica-port", "\(replica.port)", "--redis-port", "\(redis.port)",
                "--drain-seconds", "5",
            ]
            try await OriginProcess.with(arguments) { origin in
                // Connections to all three through the relays, before they are cut.
                try await waitUntil("a page through the relays", timeout: .seconds(20), pollEvery: .milliseconds(100)) {
                    try await PlainHTTP.send(.GET, "/products/product-1", host: spec.domain.rawValue, port: origin.port).head.status == .ok
                }
                for relay in [primary, replica, redis] { try await relay.set(.blackHole) }
                let response = Task {
                    try await PlainHTTP.send(
                        .POST,
                        "/api/orders",
                        host: spec.domain.rawValue,
                        port: origin.port,
                        headers: [("idempotency-key", "stuck")],
                        body: Self.order
                    )
                }
                try await Task.sleep(for: .milliseconds(200))
                let terminated = ContinuousClock.now
                origin.terminate()
                let answer = try await response.value
                #expect(answer.head.status == .serviceUnavailable)
                try await waitUntil("the origin to exit", timeout: .seconds(30), pollEvery: .milliseconds(20)) { !origin.isRunning }
                let took = ContinuousClock.now - terminated
                #expect(took < .seconds(5 + 5), "exited \(took) after SIGTERM; output:\n\(origin.output.suffix(2000))")
            }
        }
    }

    /// Runs `body` while a transaction of the test's holds an uncommitted order with `key`, so that the
    /// origin's insert of the same key waits for it; `release` rolls it back.
    static func withOrderKeyLocked(
        _ db: TestDatabase,
        _ tenant: TenantID,
        key: String,
        _ body: @Sendable (_ transaction: String, _ release: @escaping @Sendable () -> Void) async throws -> Void
    ) async throws {
        let (released, releasing) = AsyncStream.makeStream(of: Void.self)
        let (started, starting) = AsyncStream.makeStream(of: String.self)
        let holder = Task {
            try await db.owner.withTransaction(logger: TestEnvironment.logger) { connection in
                try await connection.query("SELECT set_config('app.tenant_id', \(tenant.rawValue), true)", logger: TestEnvironment.logger)
                try await connection.query(
                    """
                    INSERT INTO orders (tenant_id, idempotency_key, request_hash, total_cents, currency)
                    VALUES (\(tenant.rawValue), \(key), 'held', 1, 'EUR')
                    """,
                    logger: TestEnvironment.logger
                )
                let xid =
                    try await connection.query("SELECT pg_current_xact_id()::text", logger: TestEnvironment.logger)
                    .decode(String.self).collect().first ?? ""
                starting.yield(xid)
                for await _ in released { break }
                throw Released()
            }
        }
        var iterator = started.makeAsyncIterator()
        guard let xid = await iterator.next() else { throw Released() }
        do {
            try await body(xid) { releasing.finish() }
        } catch {
            releasing.finish()
            _ = await holder.result
            throw error
        }
        releasing.finish()
        _ = await holder.result
    }

    /// The origin's statements waiting on the transaction `xid`.
    static func waiters(_ db: TestDatabase, on xid: String) async throws -> Int {
        try await db.owner.query(
            "SELECT count(*)::int FROM pg_locks WHERE locktype = 'transactionid' AND transactionid::text = \(xid) AND NOT granted"
        ).decode(Int.self).collect().first ?? 0
    }

    /// Thrown to roll the test's transaction back.
    struct Released: Error {}
}
