import EdgeCore
import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// W3C trace context from the client through the edge to the origin.
@Suite struct TracePropagationTests {
    @Test func traceContinuesOrStartsAtTheEdge() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "x") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            _ = try await edge.get("/a", headers: [("traceparent", incoming), ("tracestate", "vendor=1")])
            _ = try await edge.get("/b")
            _ = try await edge.get("/c", headers: [("traceparent", "garbage"), ("tracestate", "vendor=1")])
            let seen = origin.requests
            let continued = try #require(seen[0].headers.first(name: "traceparent").flatMap { TraceParent(parsing: $0) })
            #expect(continued.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(continued.parentID != "00f067aa0ba902b7")
            #expect(seen[0].headers.first(name: "tracestate") == "vendor=1")
            let started = try #require(seen[1].headers.first(name: "traceparent").flatMap { TraceParent(parsing: $0) })
            #expect(started.traceID != continued.traceID)
            #expect(seen[2].headers.first(name: "traceparent").flatMap { TraceParent(parsing: $0) } != nil)
            #expect(seen[2].headers["tracestate"].isEmpty)
        }
    }
}
