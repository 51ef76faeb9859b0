import EdgeGateway
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// Limits answered with the right status, and slow clients cut off within a bound while others are served.
@Suite struct FrontDoorLimitsTests {
    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page \(head.uri)")
        }
    }

    /// Short timeouts so the tests take milliseconds; the defaults are in `FrontDoorLimits`.
    static func quick(_ configuration: inout EdgeConfiguration) {
        configuration.limits.requestHeadTimeout = .milliseconds(500)
        configuration.limits.requestBodyIdleTimeout = .milliseconds(500)
        // Long enough that a test task starved by heavy tests running in parallel does not trip it.
        configuration.limits.keepAliveIdleTimeout = .seconds(10)
    }

    @Test func longRequestLineIs414() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let wire = "GET /\(String(repeating: "a", count: 9_000)) HTTP/1.1\r\nHost: \(host)\r\n\r\n"
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 414 URI Too Long"))
            #expect(origin.requestCount == 0)
        }
    }

    @Test(arguments: [
        ("one large field", "X-Big: \(String(repeating: "b", count: 20_000))\r\n"),
        ("too many fields", (0..<150).map { "X-F\($0): v\r\n" }.joined()),
        ("too much in total", (0..<10).map { "X-F\($0): \(String(repeating: "c", count: 8_000))\r\n" }.joined()),
    ])
    func largeHeadersAre431(_ name: String, _ fields: String) async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let wire = "GET /a HTTP/1.1\r\nHost: \(host)\r\n\(fields)\r\n"
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large"), "\(name): \(answer.prefix(80))")
            #expect(origin.requestCount == 0)
        }
    }

    @Test func largeBodyIs413() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.maximumRequestBodySize = 1_000 }) { edge in
            let host = edge.alpineDomain
            let wire = "POST /a HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 2000\r\n\r\n\(String(repeating: "x", count: 2_000))"
            let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 413 Payload Too Large"))
            #expect(origin.requestCount == 0)
        }
    }

    /// Slowloris: a head that never ends gets 408 and the connection closed, while another client is served.
    @Test func slowHeadIsCutOff() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: Self.quick) { edge in
            let host = edge.alpineDomain
            let slow = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            try await slow.send("GET /a HTTP/1.1\r\nHost: \(host)\r\n")
            for index in 0..<5 {
                // Deliberate: the slowloris client drips one header field every 100 ms.
                try await Task.sleep(for: .milliseconds(100))
                try? await slow.send("X-Drip-\(index): 1\r\n")
            }
            #expect(try await edge.get("/other").head.status == .ok)
            try await Self.waitUntilClosed(slow, within: .seconds(5))
            #expect(String(buffer: slow.receivedBytes).hasPrefix("HTTP/1.1 408 Request Timeout"))
            #expect(origin.requests.map(\.uri) == ["/other"])
        }
    }

    /// A body that stops arriving gets 408; nothing is forwarded.
    @Test func stalledBodyIsCutOff() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: Self.quick) { edge in
            let host = edge.alpineDomain
            let slow = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            try await slow.send("POST /a HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 10\r\n\r\nab")
            try await Self.waitUntilClosed(slow, within: .seconds(5))
            #expect(String(buffer: slow.receivedBytes).hasPrefix("HTTP/1.1 408 Request Timeout"))
            #expect(origin.requestCount == 0)
        }
    }

    /// A connection that sends nothing is closed after the idle timeout (and not long before it).
    @Test func idleConnectionIsClosed() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.limits.keepAliveIdleTimeout = .seconds(2) }) { edge in
            let host = edge.alpineDomain
            // Timed from before the connection exists: the server's idle clock starts later, at the handshake.
            let started = ContinuousClock.now
            let connection = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            try await Self.waitUntilClosed(connection, within: .seconds(10))
            #expect(ContinuousClock.now - started >= .seconds(2), "closed before the idle limit")
            #expect(connection.receivedCount == 0)
        }
    }

    /// Slow read: a client that stops reading a response is cut off once its socket stays full.
    @Test func clientThatStopsReadingIsCutOff() async throws {
        let origin = try await FakeOrigin.start { _ in
            var reply = FakeOrigin.Reply(headers: [("cache-control", "no-store")])
            reply.generated = (64 * 1024 * 1024, false)
            return reply
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.limits.slowReadTimeout = .milliseconds(500) }) { edge in
            let host = edge.alpineDomain
            let connection = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath, pauseAfter: 1)
            try await connection.send("GET /big HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            try await waitUntil("the first bytes of /big") { connection.receivedCount > 0 }
            // Wait until the socket buffers are full (the origin stops being able to send), then for the
            // slow-read limit and some margin: filling them takes a while on a busy machine.
            var last = -1
            var unchanged = 0
            // Unchanged for 2 s, not 1: on a loaded machine the origin's sends can pause a second on their own.
            let filled = "the socket buffers to fill (the origin's bytes sent unchanged for 2 s)"
            try await waitUntil(filled, timeout: .seconds(30), pollEvery: .milliseconds(200)) {
                let sent = origin.generatedBytesSent
                unchanged = sent == last ? unchanged + 1 : 0
                last = sent
                return unchanged >= 10
            }
            // Deliberate: the client stays silent past the 500 ms slow-read limit (a NIO timer on real time).
            try await Task.sleep(for: .milliseconds(1_500))
            // Reading again drains what the kernel holds, then finds the connection closed short of the body.
            try await connection.setReading(true)
            try await Self.waitUntilClosed(connection, within: .seconds(10))
            #expect(connection.receivedCount < 64 * 1024 * 1024)
        }
    }

    static func waitUntilClosed(
        _ connection: RawTLSConnection,
        within limit: Duration,
        _ what: String = "the edge to close the connection"
    ) async throws {
        try await waitUntil(what, timeout: limit, pollEvery: .milliseconds(20)) { !connection.isActive }
    }
}
