import EdgeGateway
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// The front door's size limits and connection caps against a real in-process edge, over raw sockets
/// (issue 14's findings: a 10 KB header and 35 KB of headers reached the origin, `Content-Length:
/// 10000000000` got no 413 and the edge waited, connections were not capped).
@Suite struct FrontDoorWireLimitsTests {
    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page \(head.uri)")
        }
    }

    /// The defaults of the trusted proxies: one field over 8 KB, or all fields over 32 KB, is 431.
    @Test(arguments: [
        ("one 10 KB field", "X-Big: \(String(repeating: "b", count: 10_000))\r\n"),
        ("35 KB in total", (0..<5).map { "X-F\($0): \(String(repeating: "c", count: 7_000))\r\n" }.joined()),
    ])
    func headersOverTheProxyDefaultsAre431(_ name: String, _ fields: String) async throws {
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

    /// A declared length over the body limit is answered 413 and the connection closed before a byte of
    /// the body is sent (the client here never sends one).
    @Test func declaredLengthOverTheLimitIs413AtOnce() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let connection = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            try await connection.send("POST /orders HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 10000000000\r\n\r\n")
            // Well under the 30 s body-idle timeout that ended such a request before.
            try await waitUntil("the edge to answer and close", timeout: .seconds(5), pollEvery: .milliseconds(20)) {
                !connection.isActive
            }
            #expect(String(buffer: connection.receivedBytes).hasPrefix("HTTP/1.1 413 Payload Too Large"))
            #expect(origin.requestCount == 0)
        }
    }

    /// Above the per-address cap a TLS connection is closed at once and a plain HTTP one answered 503 with
    /// `Connection: close`; once a connection closes, a new one is admitted.
    @Test func connectionsOverThePerAddressCapAreRefused() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.limits.maximumConnectionsPerAddress = 2 }) { edge in
            let host = edge.alpineDomain
            var open: [RawTLSConnection] = []
            for _ in 0..<2 {
                let connection = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
                try await connection.send("GET /a HTTP/1.1\r\nHost: \(host)\r\n\r\n")
                try await waitUntil("an answer on an admitted connection") { connection.receivedCount > 0 }
                open.append(connection)
            }
            let third = try? await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            if let third {
                try await waitUntil("the third connection to be closed", timeout: .seconds(5), pollEvery: .milliseconds(20)) {
                    !third.isActive
                }
                #expect(third.receivedCount == 0)
            }
            let plain = try await RawTCP.exchange("GET /a HTTP/1.1\r\nHost: \(host)\r\n\r\n", port: edge.ports.http!)
            #expect(plain.hasPrefix("HTTP/1.1 503 Service Unavailable"), "\(plain.prefix(80))")
            #expect(plain.lowercased().contains("connection: close"))
            await open[0].close()
            try await waitUntil("a new connection to be admitted", timeout: .seconds(5)) {
                guard let next = try? await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
                else { return false }
                defer { Task { await next.close() } }
                try? await next.send("GET /a HTTP/1.1\r\nHost: \(host)\r\n\r\n")
                try? await waitUntil("an answer", timeout: .seconds(1)) { next.receivedCount > 0 }
                return next.receivedCount > 0
            }
            await open[1].close()
        }
    }
}

/// Raw bytes over plain TCP: writes, then collects until the server closes (or 5 s pass).
enum RawTCP {
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox(ByteBuffer())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.withLockedValue { $0.writeBuffer(&bytes) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    static func exchange(_ request: String, port: Int) async throws -> String {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try? await channel.writeAndFlush(ByteBuffer(string: request))
        try? await waitUntil("the server to close", timeout: .seconds(5), pollEvery: .milliseconds(20)) { !channel.isActive }
        try? await channel.close()
        return String(buffer: collector.received.withLockedValue { $0 })
    }
}
