import EdgeGateway
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The edge's own HTTP/1 path on the wire: pipelining, malformed requests, pre-serialised hits.
@Suite struct HTTP1WireTests {
    static func pages() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(
                headers: [("cache-control", "public, s-maxage=60")],
                body: "page \(head.uri)",
                delay: head.uri == "/slow" ? .milliseconds(100) : nil
            )
        }
    }

    /// Pipelined requests on one connection are answered in order, a slow miss before a fast one included.
    @Test func pipelinedRequestsAnsweredInOrder() async throws {
        let origin = try await Self.pages()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let request =
                "GET /slow HTTP/1.1\r\nHost: \(host)\r\n\r\nGET /fast HTTP/1.1\r\nHost: \(host)\r\n\r\nGET /slow HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
            let answer = try await RawTLSClient.exchange(request, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            let slow = answer.range(of: "page /slow")
            let fast = answer.range(of: "page /fast")
            #expect(answer.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
            #expect(slow != nil && fast != nil && slow!.lowerBound < fast!.lowerBound)
            #expect(answer.contains("x-cache: HIT"))
            #expect(answer.hasSuffix("page /slow"))
        }
    }

    /// A malformed request gets 400 and the connection is closed; nothing reaches the origin.
    @Test func malformedRequestIs400() async throws {
        let origin = try await Self.pages()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let request = "GET /p HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx"
            let answer = try await RawTLSClient.exchange(request, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(origin.requestCount == 0)
        }
    }

    /// HTTP/1.0 without keep-alive gets an HTTP/1.0 answer and the connection closed.
    @Test func http10ClosesAfterResponse() async throws {
        let origin = try await Self.pages()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let answer = try await RawTLSClient.exchange(
                "GET /old HTTP/1.0\r\nHost: \(host)\r\n\r\n",
                port: edge.ports.https,
                serverName: host,
                caPath: edge.caPath
            )
            #expect(answer.hasPrefix("HTTP/1.0 200 OK"))
            #expect(answer.contains("connection: close"))
            #expect(answer.hasSuffix("page /old"))
        }
    }
}

/// A connection remembers the Host it resolved only while the tenant directory stays the same.
@Suite struct ResolvedHostTests {
    @Test func removedTenantIsRefusedOnAnOpenConnection() async throws {
        let origin = try await HTTP1WireTests.pages()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let connection = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            try await connection.send("GET /a HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            try await waitUntil("the answer to the first /a") { String(buffer: connection.receivedBytes).hasSuffix("page /a") }
            // The platform removes the storefront: only the other tenant is left.
            edge.registry.update([TenantDirectoryEntry(domain: HostName(normalising: edge.harborDomain)!, tenantID: EdgeFixture.harbor)])
            try await connection.send("GET /a HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            try await waitUntil("a 421 for the removed tenant") { String(buffer: connection.receivedBytes).contains("421") }
            let text = String(buffer: connection.receivedBytes)
            #expect(text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(text.contains("HTTP/1.1 421 Misdirected Request"))
            #expect(origin.requestCount == 1)
            await connection.close()
        }
    }
}

@Suite struct HTTP1PipelinedErrorTests {
    /// A malformed request behind valid pipelined ones: the valid ones are answered first, then 400.
    @Test func malformedAfterValidRequests() async throws {
        let origin = try await HTTP1WireTests.pages()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let request =
                "GET /slow HTTP/1.1\r\nHost: \(host)\r\n\r\nGET /p HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx"
            let answer = try await RawTLSClient.exchange(request, port: edge.ports.https, serverName: host, caPath: edge.caPath)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
            #expect(answer.contains("page /slow"))
            #expect(answer.hasSuffix("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"))
        }
    }
}
