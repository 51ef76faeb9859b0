import EdgeCore
import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The edge's request path against scripted origins: what is stored, what passes, what is forwarded.
@Suite struct EdgeCachingTests {
    static func cacheable(_ body: String, tenant: String? = nil, extra: [(String, String)] = []) -> FakeOrigin.Reply {
        var headers = [("cache-control", "public, s-maxage=60"), ("etag", "\"v1\""), ("surrogate-key", "tenant:alpine")]
        if let tenant { headers.append((StorefrontHeader.tenant, tenant)) }
        return FakeOrigin.Reply(headers: headers + extra, body: body)
    }

    /// Ten requests for one page reach the origin once.
    @Test func hitsDoNotReachOrigin() async throws {
        let origin = try await FakeOrigin.start { _ in Self.cacheable("page") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            for _ in 0..<10 { _ = try await edge.get("/p") }
            #expect(origin.requestCount == 1)
        }
    }

    @Test(arguments: ["no-store, s-maxage=60", "private, max-age=60", "no-cache, s-maxage=60", ""])
    /// Responses a shared cache must not keep are passed through every time.
    func uncacheableResponsesPass(cacheControl: String) async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", cacheControl)], body: "x") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let first = try await edge.get("/p")
            let second = try await edge.get("/p")
            #expect(first.head.headers.first(name: "x-cache") == "PASS")
            #expect(second.head.headers.first(name: "x-cache") == "PASS")
            #expect(origin.requestCount == 2)
        }
    }

    /// A response that sets a cookie is never stored for others.
    @Test func setCookieIsNotStored() async throws {
        let origin = try await FakeOrigin.start { _ in Self.cacheable("mine", extra: [("set-cookie", "session=secret")]) }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/p")
            let second = try await edge.get("/p")
            #expect(second.head.headers.first(name: "x-cache") == "PASS")
            #expect(origin.requestCount == 2)
        }
    }

    /// Requests with a cookie or credentials bypass the cache both ways.
    @Test func credentialedRequestsPass() async throws {
        let origin = try await FakeOrigin.start { _ in Self.cacheable("page") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let withCookie = try await edge.get("/p", headers: [("cookie", "cart=1")])
            let withAuth = try await edge.get("/p", headers: [("authorization", "Bearer x")])
            #expect(withCookie.head.headers.first(name: "x-cache") == "PASS")
            #expect(withAuth.head.headers.first(name: "x-cache") == "PASS")
            let anonymous = try await edge.get("/p")
            #expect(anonymous.head.headers.first(name: "x-cache") == "MISS")
        }
    }

    /// The two tenants' identical paths are two cache entries and two origin fetches.
    @Test func tenantsHaveSeparateEntries() async throws {
        let origin = try await FakeOrigin.start { head in
            let tenant = head.headers.first(name: StorefrontHeader.tenant) ?? "?"
            return Self.cacheable("page of \(tenant)", tenant: tenant)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let a = try await edge.get("/same", tenant: EdgeFixture.alpine)
            let b = try await edge.get("/same", tenant: EdgeFixture.harbor)
            let a2 = try await edge.get("/same", tenant: EdgeFixture.alpine)
            let b2 = try await edge.get("/same", tenant: EdgeFixture.harbor)
            #expect(a.text == "page of alpine")
            #expect(b.text == "page of harbor")
            #expect(a2.text == "page of alpine" && a2.head.headers.first(name: "x-cache") == "HIT")
            #expect(b2.text == "page of harbor" && b2.head.headers.first(name: "x-cache") == "HIT")
            #expect(origin.requestCount == 2)
        }
    }

    /// An origin answer stamped for another tenant is neither served nor stored.
    @Test func responseForAnotherTenantIsRefused() async throws {
        let origin = try await FakeOrigin.start { _ in Self.cacheable("harbor's secret", tenant: "harbor") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let response = try await edge.get("/p", tenant: EdgeFixture.alpine)
            #expect(response.head.status == .badGateway)
            #expect(!response.text.contains("secret"))
            let again = try await edge.get("/p", tenant: EdgeFixture.alpine)
            #expect(again.head.status == .badGateway)
            #expect(origin.requestCount == 2)
            #expect(edge.server.metricsText().contains("storefront_edge_foreign_tenant_responses_total{tenant=\"alpine\"} 2"))
        }
    }

    /// HEAD is answered from the stored GET, without a body.
    @Test func headFromStoredGet() async throws {
        let origin = try await FakeOrigin.start { _ in Self.cacheable("full body") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/p")
            let head = try await edge.get("/p", method: .HEAD)
            #expect(head.head.status == .ok)
            #expect(head.head.headers.first(name: "x-cache") == "HIT")
            #expect(head.body.readableBytes == 0)
            #expect(head.head.headers.first(name: "content-length") == "9")
            #expect(origin.requestCount == 1)
        }
    }

    /// A client revalidation with a matching ETag gets 304 from the cache.
    @Test func ifNoneMatchAnsweredFromCache() async throws {
        let origin = try await FakeOrigin.start { _ in Self.cacheable("body") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/p")
            let notModified = try await edge.get("/p", headers: [("if-none-match", "\"other\", \"v1\"")])
            #expect(notModified.head.status == .notModified)
            #expect(notModified.body.readableBytes == 0)
            let changed = try await edge.get("/p", headers: [("if-none-match", "\"v0\"")])
            #expect(changed.head.status == .ok)
            #expect(origin.requestCount == 1)
            // The origin never saw the client's conditional: the edge fills its cache with full responses.
            #expect(origin.requests.allSatisfy { $0.headers["if-none-match"].isEmpty })
        }
    }

    /// The edge sets forwarding headers itself; whatever the client claimed is dropped.
    @Test func forwardingHeadersAreTheEdgesOwn() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "ok") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get(
                "/p",
                headers: [
                    ("x-forwarded-for", "6.6.6.6"), ("x-forwarded-proto", "http"), ("x-forwarded-host", "evil.test"),
                    (StorefrontHeader.tenant, "harbor"), ("x-original-url", "/admin"), ("connection", "x-secret"),
                    ("x-secret", "hop"),
                ]
            )
            let seen = try #require(origin.requests.first)
            #expect(seen.headers["x-forwarded-for"] == ["127.0.0.1"])
            #expect(seen.headers["x-forwarded-proto"] == ["https"])
            #expect(seen.headers["x-forwarded-host"] == [edge.alpineDomain])
            #expect(seen.headers["x-original-url"].isEmpty)
            #expect(seen.headers[StorefrontHeader.tenant] == ["alpine"])
            #expect(seen.headers["x-secret"].isEmpty)
            #expect(seen.headers["host"] == [edge.alpineDomain])
        }
    }

    /// Misses are spread over every origin instance.
    @Test func missesSpreadOverOrigins() async throws {
        let first = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "1") }
        let second = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "2") }
        defer {
            Task {
                await first.stop()
                await second.stop()
            }
        }
        try await EdgeFixture.with(origins: [first, second]) { edge in
            for index in 0..<10 { _ = try await edge.get("/p\(index)") }
            #expect(first.requestCount == 5)
            #expect(second.requestCount == 5)
        }
    }

    /// No origin listening: a clear 502, and the edge keeps serving.
    @Test func originDownIs502() async throws {
        let origin = try await FakeOrigin.start { _ in Self.cacheable("x") }
        await origin.stop()
        try await EdgeFixture.with(origins: [origin]) { edge in
            let response = try await edge.get("/p")
            #expect(response.head.status == .badGateway)
            let again = try await edge.get("/p")
            #expect(again.head.status == .badGateway)
        }
    }

    /// POST is forwarded with its body and never cached.
    @Test func postPassesWithBody() async throws {
        let origin = try await FakeOrigin.start { head in
            FakeOrigin.Reply(status: .created, headers: [("cache-control", "s-maxage=60")], body: "created \(head.method)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let response = try await edge.get("/orders", method: .POST)
            #expect(response.head.status == .created)
            #expect(response.head.headers.first(name: "x-cache") == "PASS")
            _ = try await edge.get("/orders", method: .POST)
            #expect(origin.requestCount == 2)
        }
    }
}

@Suite struct EdgePassThroughTests {
    /// A HEAD that passes (it carries a cookie) keeps the origin's Content-Length of the GET body.
    @Test func passedHeadKeepsContentLength() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "twelve bytes") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let response = try await edge.get("/p", method: .HEAD, headers: [("cookie", "a=b")])
            #expect(response.head.headers.first(name: "x-cache") == "PASS")
            #expect(response.head.headers.first(name: "content-length") == "12")
            #expect(origin.requests.first?.method == .HEAD)
        }
    }

    /// A 304 the origin answers to a passed conditional request carries no body and no Content-Length.
    @Test func passedNotModifiedHasNoBody() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(status: .notModified, headers: [("etag", "\"v1\"")]) }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let response = try await edge.get("/p", headers: [("cookie", "a=b"), ("if-none-match", "\"v1\"")])
            #expect(response.head.status == .notModified)
            #expect(response.head.headers.first(name: "content-length") == nil)
            #expect(response.body.readableBytes == 0)
        }
    }
}

@Suite struct CacheKeyNormalisationTests {
    /// Tracking parameters and parameter order do not split the cache, and the origin never sees them.
    @Test func trackingAndOrderShareOneEntry() async throws {
        let origin = try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "target \(head.uri)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let first = try await edge.get("/list?b=2&a=1&utm_source=newsletter")
            let second = try await edge.get("/list?a=1&gclid=xyz&b=2")
            #expect(first.text == "target /list?a=1&b=2")
            #expect(second.head.headers.first(name: "x-cache") == "HIT")
            #expect(origin.requests.map(\.uri) == ["/list?a=1&b=2"])
        }
    }
}
