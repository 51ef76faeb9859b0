import EdgeCore
import EdgeGateway
import NIOConcurrencyHelpers
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// RFC 5861 and revalidation: what the edge serves once an object's freshness is over. Objects here are
/// fresh for one second; the tests move the edge's manual clock past it instead of waiting.
@Suite struct StaleContentTests {
    /// An edge in front of `origin` whose time moves only by `clock.advance(seconds:)`.
    static func withEdge(
        origin: FakeOrigin,
        clock: ManualEdgeClock,
        _ body: @Sendable (EdgeFixture) async throws -> Void
    ) async throws {
        try await EdgeFixture.with(origins: [origin], configure: { $0.clock = clock }, body)
    }

    /// An origin answering `v1`, `v2`, … (one more per request) with `cacheControl`.
    static func versionedOrigin(cacheControl: String) async throws -> FakeOrigin {
        let version = NIOLockedValueBox(0)
        return try await FakeOrigin.start { _ in
            let current = version.withLockedValue { value -> Int in
                value += 1
                return value
            }
            return FakeOrigin.Reply(headers: [("cache-control", cacheControl)], body: "v\(current)")
        }
    }

    /// stale-while-revalidate: the stale copy at once, one background refresh, then the new version.
    @Test func staleWhileRevalidate() async throws {
        let origin = try await Self.versionedOrigin(cacheControl: "public, s-maxage=1, stale-while-revalidate=30")
        defer { Task { await origin.stop() } }
        let clock = ManualEdgeClock()
        try await Self.withEdge(origin: origin, clock: clock) { edge in
            #expect(try await edge.get("/p").text == "v1")
            clock.advance(seconds: 2)
            let stale = try await edge.get("/p")
            #expect(stale.text == "v1")
            #expect(stale.head.headers.first(name: "x-cache") == "STALE")
            #expect(stale.head.headers.first(name: "age") == "2")
            // The refresh runs in the background: wait for its answer to be the one served.
            var refreshed = ""
            try await waitUntil("the background refresh's v2 served as a HIT") {
                let response = try await edge.get("/p")
                if response.head.headers.first(name: "x-cache") == "HIT" { refreshed = response.text }
                return refreshed == "v2"
            }
            #expect(refreshed == "v2")
            #expect(origin.requestCount == 2)
        }
    }

    /// Past the stale-while-revalidate window the stale copy is not served: the origin's answer is.
    @Test func staleWhileRevalidateWindowEnds() async throws {
        let origin = try await Self.versionedOrigin(cacheControl: "public, s-maxage=1, stale-while-revalidate=30")
        defer { Task { await origin.stop() } }
        let clock = ManualEdgeClock()
        try await Self.withEdge(origin: origin, clock: clock) { edge in
            #expect(try await edge.get("/p").text == "v1")
            // Fresh for 1 s, then 30 s of stale-while-revalidate: 32 s later both are over.
            clock.advance(seconds: 32)
            let response = try await edge.get("/p")
            #expect(response.text == "v2")
            #expect(response.head.headers.first(name: "x-cache") != "STALE")
            #expect(origin.requestCount == 2)
        }
    }

    /// stale-if-error: with the origin gone, the stale copy is served instead of a 502.
    @Test func staleIfErrorWhenOriginIsDown() async throws {
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=1, stale-if-error=60")], body: "kept")
        }
        let clock = ManualEdgeClock()
        try await Self.withEdge(origin: origin, clock: clock) { edge in
            #expect(try await edge.get("/p").text == "kept")
            await origin.stop()
            clock.advance(seconds: 2)
            let response = try await edge.get("/p")
            #expect(response.head.status == .ok)
            #expect(response.text == "kept")
            #expect(response.head.headers.first(name: "x-cache") == "STALE")
            // An object without stale-if-error is not rescued.
            let other = try await edge.get("/never-cached")
            #expect(other.head.status == .badGateway)
        }
    }

    /// Past the stale-if-error window, an origin that is down means 502 again.
    @Test func staleIfErrorWindowEnds() async throws {
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=1, stale-if-error=60")], body: "kept")
        }
        let clock = ManualEdgeClock()
        try await Self.withEdge(origin: origin, clock: clock) { edge in
            #expect(try await edge.get("/p").text == "kept")
            await origin.stop()
            clock.advance(seconds: 30)
            let rescued = try await edge.get("/p")
            #expect(rescued.text == "kept")
            // Fresh for 1 s, then 60 s of stale-if-error: 62 s after the fetch both are over.
            clock.advance(seconds: 32)
            let late = try await edge.get("/p")
            #expect(late.head.status == .badGateway)
        }
    }

    /// stale-if-error also covers a 5xx answer.
    @Test func staleIfErrorOn5xx() async throws {
        let calls = NIOLockedValueBox(0)
        let origin = try await FakeOrigin.start { _ in
            let call = calls.withLockedValue { value -> Int in
                value += 1
                return value
            }
            return call == 1
                ? FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=1, stale-if-error=60")], body: "good")
                : FakeOrigin.Reply(status: .internalServerError, body: "broken")
        }
        defer { Task { await origin.stop() } }
        let clock = ManualEdgeClock()
        try await Self.withEdge(origin: origin, clock: clock) { edge in
            _ = try await edge.get("/p")
            clock.advance(seconds: 2)
            let response = try await edge.get("/p")
            #expect(response.head.status == .ok)
            #expect(response.text == "good")
        }
    }

    /// must-revalidate forbids serving stale, even with stale-if-error.
    @Test func mustRevalidateIsNeverServedStale() async throws {
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=1, stale-if-error=60, must-revalidate")], body: "strict")
        }
        let clock = ManualEdgeClock()
        try await Self.withEdge(origin: origin, clock: clock) { edge in
            _ = try await edge.get("/p")
            // Still fresh: served from the cache although the origin is gone.
            await origin.stop()
            #expect(try await edge.get("/p").text == "strict")
            clock.advance(seconds: 2)
            #expect(try await edge.get("/p").head.status == .badGateway)
        }
    }

    /// An expired object is revalidated by its ETag; a 304 refreshes it and the stored body is served.
    @Test func revalidationWith304() async throws {
        let origin = try await FakeOrigin.start { head in
            if head.headers.first(name: "if-none-match") == "\"v1\"" {
                return FakeOrigin.Reply(status: .notModified, headers: [("etag", "\"v1\""), ("cache-control", "public, s-maxage=60")])
            }
            return FakeOrigin.Reply(headers: [("etag", "\"v1\""), ("cache-control", "public, s-maxage=1")], body: "the body")
        }
        defer { Task { await origin.stop() } }
        let clock = ManualEdgeClock()
        try await Self.withEdge(origin: origin, clock: clock) { edge in
            _ = try await edge.get("/p")
            clock.advance(seconds: 2)
            let revalidated = try await edge.get("/p")
            #expect(revalidated.head.status == .ok)
            #expect(revalidated.text == "the body")
            #expect(revalidated.head.headers.first(name: "x-cache") == "HIT")
            #expect(origin.requests.last?.headers.first(name: "if-none-match") == "\"v1\"")
            // The 304's s-maxage=60 now applies: the next request is a plain hit, 59 s later too.
            _ = try await edge.get("/p")
            clock.advance(seconds: 59)
            #expect(try await edge.get("/p").head.headers.first(name: "x-cache") == "HIT")
            #expect(origin.requestCount == 2)
        }
    }
}

@Suite struct VaryTests {
    /// Variants selected by a request header live side by side; `Vary: *` is never stored.
    @Test func variantsSideBySide() async throws {
        let origin = try await FakeOrigin.start { head in
            if head.uri == "/star" {
                return FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60"), ("vary", "*")], body: "star")
            }
            let language = head.headers.first(name: "accept-language") ?? "none"
            return FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60"), ("vary", "Accept-Language")], body: "page in \(language)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let german = try await edge.get("/p", headers: [("accept-language", "de")])
            let english = try await edge.get("/p", headers: [("accept-language", "en")])
            let germanAgain = try await edge.get("/p", headers: [("accept-language", "de")])
            let englishAgain = try await edge.get("/p", headers: [("accept-language", "en")])
            #expect(german.text == "page in de" && english.text == "page in en")
            #expect(germanAgain.text == "page in de" && germanAgain.head.headers.first(name: "x-cache") == "HIT")
            #expect(englishAgain.text == "page in en" && englishAgain.head.headers.first(name: "x-cache") == "HIT")
            #expect(origin.requestCount == 2)

            _ = try await edge.get("/star")
            #expect(try await edge.get("/star").head.headers.first(name: "x-cache") == "PASS")

            // A purge by URL takes every variant.
            #expect(edge.server.purge(tenant: EdgeFixture.alpine, target: "/p") == 2)
        }
    }
}

@Suite struct ExpiresAndNoCacheEdgeTests {
    /// no-cache with an ETag: stored, but every use is revalidated with the origin (304 → stored body).
    @Test func noCacheIsRevalidatedEveryTime() async throws {
        let origin = try await FakeOrigin.start { head in
            if head.headers.first(name: "if-none-match") == "\"n1\"" {
                return FakeOrigin.Reply(status: .notModified, headers: [("etag", "\"n1\""), ("cache-control", "no-cache")])
            }
            return FakeOrigin.Reply(headers: [("etag", "\"n1\""), ("cache-control", "no-cache")], body: "always checked")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/p")
            let second = try await edge.get("/p")
            let third = try await edge.get("/p")
            #expect(second.text == "always checked" && third.text == "always checked")
            #expect(origin.requestCount == 3)
            #expect(origin.requests.dropFirst().allSatisfy { $0.headers.first(name: "if-none-match") == "\"n1\"" })
        }
    }

    /// Expires (with Date) gives freshness when there is no max-age.
    @Test func expiresGivesFreshness() async throws {
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(
                headers: [("date", "Fri, 27 Nov 2026 10:00:00 GMT"), ("expires", "Fri, 27 Nov 2026 10:01:00 GMT")],
                body: "dated"
            )
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/p")
            #expect(try await edge.get("/p").head.headers.first(name: "x-cache") == "HIT")
            #expect(origin.requestCount == 1)
        }
    }
    /// Expires without Date is measured from the edge's own clock: fresh until then, fetched again after.
    @Test func expiresWithoutDateUsesTheEdgeClock() async throws {
        let clock = ManualEdgeClock()
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("expires", HTTPDate.format(clock.wallSeconds + 60))], body: "until a minute from now")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.clock = clock }) { edge in
            _ = try await edge.get("/p")
            clock.advance(seconds: 58)
            #expect(try await edge.get("/p").head.headers.first(name: "x-cache") == "HIT")
            #expect(origin.requestCount == 1)
            clock.advance(seconds: 3)
            #expect(try await edge.get("/p").head.headers.first(name: "x-cache") != "HIT")
            #expect(origin.requestCount == 2)
        }
    }
}
