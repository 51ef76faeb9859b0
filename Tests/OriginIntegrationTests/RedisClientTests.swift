import NIOCore
import NIOPosix
import RedisClient
import TestSupport
import Testing

/// Against the real Redis started by `deploy/dev services`.
@Suite struct RedisClientTests {
    /// Correctness, not speed: timeouts far above the defaults (500 ms), which a CI machine running every
    /// suite at once overran (a connect and a 200-command pipeline timed out once). The timeouts themselves
    /// are tested by `silentServerTimesOut`.
    var client: RedisClient {
        var configuration = RedisClient.Configuration(host: "127.0.0.1", port: TestEnvironment.redisPort)
        configuration.connectTimeout = .seconds(10)
        configuration.commandTimeout = .seconds(10)
        return RedisClient(configuration: configuration)
    }

    @Test func setGetRoundTrip() async throws {
        let client = client
        defer { Task { await client.shutdown() } }
        let key = "test:\(UInt64.random(in: 0..<UInt64.max))"
        #expect(try await client.send("SET", key, "värde\r\nwith binary-safe bytes", "EX", "60") == .simpleString("OK"))
        #expect(try await client.send("GET", key).string == "värde\r\nwith binary-safe bytes")
        #expect(try await client.send("DEL", key) == .integer(1))
        #expect(try await client.send("GET", key) == .bulkString(nil))
    }

    /// Many concurrent commands on few connections: every reply reaches its own caller (FIFO pipelining).
    @Test func pipelinedRepliesMatchTheirCommands() async throws {
        let client = client
        defer { Task { await client.shutdown() } }
        let prefix = "test:pipe:\(UInt64.random(in: 0..<UInt64.max))"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    _ = try await client.send("SET", "\(prefix):\(index)", "\(index)", "EX", "60")
                    let value = try await client.send("GET", "\(prefix):\(index)").string
                    #expect(value == "\(index)")
                }
            }
            try await group.waitForAll()
        }
    }

    /// An error reply becomes a thrown error with Redis's message.
    @Test func errorReplyThrows() async throws {
        let client = client
        defer { Task { await client.shutdown() } }
        await #expect(throws: RedisError.self) { try await client.send("NOSUCHCOMMAND") }
        let key = "test:list:\(UInt64.random(in: 0..<UInt64.max))"
        _ = try await client.send("SET", key, "x", "EX", "60")
        do {
            try await client.send("LPUSH", key, "y")
            Issue.record("expected WRONGTYPE")
        } catch RedisError.server(let message) {
            #expect(message.hasPrefix("WRONGTYPE"))
        }
    }

    /// A server that accepts but never answers costs a bounded wait, then a timeout, never a hang.
    @Test func silentServerTimesOut() async throws {
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        var configuration = RedisClient.Configuration(host: "127.0.0.1", port: silent.localAddress!.port!)
        configuration.commandTimeout = .milliseconds(200)
        let client = RedisClient(configuration: configuration)
        defer { Task { await client.shutdown() } }
        await #expect(throws: RedisError.timeout) { try await client.send("PING") }
    }

    /// Nothing listening: the connect fails quickly with an error.
    @Test func absentServerFails() async throws {
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()
        let client = RedisClient(configuration: .init(host: "127.0.0.1", port: port))
        await #expect(throws: (any Error).self) { try await client.send("PING") }
    }
}
