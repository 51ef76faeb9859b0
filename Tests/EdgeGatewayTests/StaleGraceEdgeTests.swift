import EdgeCore
import EdgeGateway
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// "Origin outage = site down": pages without `stale-if-error` are served stale within the tenant's grace
/// (``TenantEdgeSettings/staleIfErrorSeconds``) when the origins fail; uncached pages fail at once. Pages are
/// fresh for one second; the tests move the edge's manual clock instead of waiting.
@Suite struct StaleGraceEdgeTests {
    /// An origin whose first answer is a page fresh for one second and whose later answers are `later`.
    static func origin(later: FakeOrigin.Reply? = nil) async throws -> FakeOrigin {
        let calls = NIOLockedValueBox(0)
        return try await FakeOrigin.start { head in
            let call = calls.withLockedValue { value -> Int in
                value += 1
                return value
            }
            if call > 1, let later { return later }
            return FakeOrigin.Reply(headers: [("cache-control", "public, max-age=1")], body: "page \(head.uri) v\(call)")
        }
    }

    /// Every origin down: the expired page is served stale within the day's grace, an uncached page gets a
    /// 502 from the refused connections (not a 504 after the origin timeout), and after the grace a 502.
    @Test func originDownServesStaleWithinGrace() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let clock = ManualEdgeClock()
        let alsoDown = try ClosedPort()
        try await EdgeFixture.with(
            origins: [origin],
            unreachable: [alsoDown],
            configure: {
                $0.clock = clock
                // A failure that waited for the timeout would be a 504; refused connections are a 502.
                $0.originTimeout = .seconds(60)
            }
        ) { edge in
            #expect(try await edge.get("/products/p1").text == "page /products/p1 v1")
            await origin.stop()
            clock.advance(seconds: 2)
            let stale = try await edge.get("/products/p1")
            #expect(stale.head.status == .ok)
            #expect(stale.text == "page /products/p1 v1")
            #expect(stale.head.headers.first(name: "x-cache") == "STALE")
            #expect(stale.head.headers.first(name: "age") == "2")

            let uncached = try await edge.get("/products/never-cached")
            #expect(uncached.head.status == .badGateway)
            #expect(["origin unavailable\n", "no healthy origin\n"].contains(uncached.text), "\(uncached.text)")

            clock.advance(seconds: 86_400)
            #expect(try await edge.get("/products/p1").head.status == .badGateway)
        }
    }

    /// An origin answering 503: the expired page is served stale instead.
    @Test func origin503ServesStale() async throws {
        let origin = try await Self.origin(later: FakeOrigin.Reply(status: .serviceUnavailable, body: "down"))
        defer { Task { await origin.stop() } }
        let clock = ManualEdgeClock()
        try await EdgeFixture.with(origins: [origin], configure: { $0.clock = clock }) { edge in
            _ = try await edge.get("/p")
            clock.advance(seconds: 2)
            let stale = try await edge.get("/p")
            #expect(stale.head.status == .ok)
            #expect(stale.text == "page /p v1")
            #expect(stale.head.headers.first(name: "x-cache") == "STALE")
            #expect(origin.requestCount == 2)
        }
    }

    /// A tenant with grace 0: origin down means 502, an origin 503 is passed on; the other tenant (default
    /// grace) on the same edge is still rescued.
    @Test func zeroGraceTenantGetsTheError() async throws {
        let off = TenantEdgeSettings(staleIfErrorSeconds: 0)
        let answering503 = try await Self.origin(later: FakeOrigin.Reply(status: .serviceUnavailable, body: "down"))
        defer { Task { await answering503.stop() } }
        let clock = ManualEdgeClock()
        try await EdgeFixture.with(origins: [answering503], alpineSettings: off, configure: { $0.clock = clock }) { edge in
            _ = try await edge.get("/p")
            clock.advance(seconds: 2)
            let response = try await edge.get("/p")
            #expect(response.head.status == .serviceUnavailable)
            #expect(response.text == "down")
        }

        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], alpineSettings: off, configure: { $0.clock = clock }) { edge in
            _ = try await edge.get("/p", tenant: EdgeFixture.alpine)
            _ = try await edge.get("/p", tenant: EdgeFixture.harbor)
            await origin.stop()
            clock.advance(seconds: 2)
            #expect(try await edge.get("/p", tenant: EdgeFixture.alpine).head.status == .badGateway)
            let harbor = try await edge.get("/p", tenant: EdgeFixture.harbor)
            #expect(harbor.head.status == .ok)
            #expect(harbor.head.headers.first(name: "x-cache") == "STALE")
        }
    }

    /// A stale copy the origin has since replaced by an answer that may not be stored (here `private`) is
    /// dropped: a later outage does not bring it back.
    @Test func supersededStaleCopyIsNotServedLater() async throws {
        let origin = try await Self.origin(later: FakeOrigin.Reply(headers: [("cache-control", "private")], body: "personal"))
        defer { Task { await origin.stop() } }
        let clock = ManualEdgeClock()
        try await EdgeFixture.with(origins: [origin], configure: { $0.clock = clock }) { edge in
            _ = try await edge.get("/p")
            clock.advance(seconds: 2)
            #expect(try await edge.get("/p").text == "personal")
            await origin.stop()
            #expect(try await edge.get("/p").head.status == .badGateway)
        }
    }
}
