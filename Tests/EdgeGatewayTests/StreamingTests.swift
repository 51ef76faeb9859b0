import EdgeGateway
import Foundation
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// Responses above the stored-object limit go through the edge as they arrive: never stored, never whole in
/// memory, byte for byte what the origin sent, over HTTP/1.1 and HTTP/2.
@Suite struct StreamingTests {
    static let storeLimit = 256 * 1024

    static func large(size: Int, chunked: Bool) async throws -> FakeOrigin {
        try await FakeOrigin.start { _ in
            var reply = FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60"), ("content-type", "application/octet-stream")])
            reply.generated = (size, chunked)
            return reply
        }
    }

    static func isGenerated(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { FakeOrigin.isGenerated($0) }
    }

    static func isGenerated(_ data: Data) -> Bool {
        data.withUnsafeBytes { FakeOrigin.isGenerated($0) }
    }

    /// A 3 MiB response with `Content-Length` over a 256 KiB limit: passed through intact, asked of the origin
    /// each time (not stored), with its length.
    @Test func largeResponseIsRelayedNotStored() async throws {
        let size = 3 * 1024 * 1024 + 17
        let origin = try await Self.large(size: size, chunked: false)
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.maximumStoredObjectSize = Self.storeLimit }) { edge in
            for _ in 0..<2 {
                let response = try await edge.get("/download")
                #expect(response.head.status == .ok)
                #expect(response.head.headers.first(name: "content-length") == String(size))
                #expect(response.head.headers.first(name: "x-cache") == "PASS")
                #expect(response.body.readableBytes == size)
                #expect(Self.isGenerated(response.body))
            }
            #expect(origin.requestCount == 2)
            #expect(edge.server.cachedObjects(of: EdgeFixture.alpine) == 0)
        }
    }

    /// A chunked origin response of unknown length grows past the limit while arriving: the part already
    /// buffered goes first, then the rest; HTTP/1.1 clients get it chunked, HTTP/2 clients as DATA frames.
    @Test func chunkedResponseOfUnknownLength() async throws {
        let size = 1024 * 1024 + 5
        let origin = try await Self.large(size: size, chunked: true)
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.maximumStoredObjectSize = Self.storeLimit }) { edge in
            let http1 = try await edge.get("/stream")
            #expect(http1.head.status == .ok)
            #expect(http1.head.headers.first(name: "transfer-encoding") == "chunked")
            #expect(http1.body.readableBytes == size)
            #expect(Self.isGenerated(http1.body))

            let http2 = try await Curl.get("/stream", port: edge.ports.https, serverName: edge.alpineDomain, caPath: edge.caPath)
            #expect(http2.httpVersion == "2")
            #expect(http2.status == 200)
            #expect(http2.header("x-cache") == "PASS")
            #expect(http2.body.count == size)
            #expect(Self.isGenerated(http2.body))
            #expect(origin.requestCount == 2)
        }
    }

    /// Backpressure: while a client does not read, the edge stops reading from the origin, so a 64 MiB
    /// response is never pulled into memory; once the client reads again, all of it arrives intact.
    @Test func slowClientHoldsBackTheOrigin() async throws {
        let size = 64 * 1024 * 1024
        let origin = try await Self.large(size: size, chunked: false)
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.maximumStoredObjectSize = Self.storeLimit }) { edge in
            let connection = try await RawTLSConnection.connect(
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                pauseAfter: 1
            )
            try await connection.send("GET /huge HTTP/1.1\r\nHost: \(edge.alpineDomain)\r\n\r\n")
            try await waitUntil("the first bytes of /huge") { connection.receivedCount > 0 }
            // Kernel socket buffers on both hops plus the edge's 1 MiB window hold some megabytes; without
            // backpressure the edge would read all 64 MiB from the origin within this time. Deliberate: the
            // client reads nothing for 3 s while the origin's progress is watched.
            var mostSent = 0
            for _ in 0..<30 {
                try await Task.sleep(for: .milliseconds(100))
                mostSent = max(mostSent, origin.generatedBytesSent)
            }
            #expect(mostSent < 40 * 1024 * 1024, "the origin sent \(mostSent) bytes to a client that reads nothing")

            try await connection.setReading(true)
            try await waitUntil("all \(size) bytes of /huge", timeout: .seconds(60), pollEvery: .milliseconds(20)) {
                connection.receivedCount >= size
            }
            let received = connection.receivedBytes
            let text = received.getString(at: received.readerIndex, length: min(received.readableBytes, 1024)) ?? ""
            let headEnd = text.range(of: "\r\n\r\n").map { text.utf8.distance(from: text.startIndex, to: $0.upperBound) } ?? 0
            #expect(text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(text.lowercased().contains("content-length: \(size)\r\n"))
            #expect(received.readableBytes - headEnd == size)
            #expect(Self.isGenerated(received.getSlice(at: received.readerIndex + headEnd, length: received.readableBytes - headEnd) ?? ByteBuffer()))
            await connection.close()
        }
    }

    /// The origin breaks off in the middle of a large response: the client sees the connection cut (no
    /// silently short body with a clean end), and the next request works.
    @Test func originBreakingOffCutsTheClient() async throws {
        let size = 64 * 1024 * 1024
        let origin = try await Self.large(size: size, chunked: false)
        try await EdgeFixture.with(origins: [origin], configure: { $0.maximumStoredObjectSize = Self.storeLimit }) { edge in
            let connection = try await RawTLSConnection.connect(
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                pauseAfter: 1
            )
            try await connection.send("GET /big HTTP/1.1\r\nHost: \(edge.alpineDomain)\r\n\r\n")
            try await waitUntil("the first bytes of /big") { connection.receivedCount > 0 }
            // Deliberate: the response keeps streaming for a moment before the origin goes away mid-body.
            try await Task.sleep(for: .milliseconds(200))
            await origin.stop()
            try await connection.setReading(true)
            try await FrontDoorLimitsTests.waitUntilClosed(
                connection,
                within: .seconds(10),
                "the edge to close a connection whose response broke off"
            )
            #expect(connection.receivedCount < size)
            await connection.close()
        }
    }
}
