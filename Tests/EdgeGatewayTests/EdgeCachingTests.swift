import EdgeCore
import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import Testing
import TestSupport

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
            #expect(seen.headers["x-forwarded-host"].isEmpty)
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
        defer { Task { await first.stop(); await second.stop() } }
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

@Suite struct CoalescingTests {
    /// Sends `count` concurrent GETs; once all but one wait behind the first fetch, opens the origin's gate
    /// so the held answer goes out.
    static func concurrentGets(_ edge: EdgeFixture, count: Int, path: String, gate: FakeOrigin.Gate) async throws -> [HTTPClientResponse] {
        try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            for _ in 0..<count { group.addTask { try await edge.get(path) } }
            group.addTask {
                // The gate opens whatever happens, so the held requests always end.
                defer { gate.open() }
                try await waitUntil("\(count - 1) requests waiting behind the first fetch", pollEvery: .milliseconds(5)) {
                    edge.server.coalescedWaiters >= count - 1
                }
                return nil
            }
            return try await group.reduce(into: []) { if let response = $1 { $0.append(response) } }
        }
    }

    /// 100 concurrent misses on one page: exactly one origin fetch, 100 identical answers.
    @Test func hundredConcurrentMissesOneFetch() async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "the page", gate: gate)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let responses = try await Self.concurrentGets(edge, count: 100, path: "/hot", gate: gate)
            #expect(origin.requestCount == 1)
            #expect(responses.allSatisfy { $0.head.status == .ok && $0.text == "the page" })
            #expect(responses.filter { $0.head.headers.first(name: "x-cache") == "MISS" }.count <= 1)
        }
    }

    /// A failed fetch wakes every waiter with an error, promptly, never a hang.
    @Test func failedFetchWakesEveryWaiter() async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60"), (StorefrontHeader.tenant, "someone-else")], body: "x", gate: gate)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let responses = try await Self.concurrentGets(edge, count: 20, path: "/broken", gate: gate)
            #expect(responses.count == 20)
            #expect(responses.allSatisfy { $0.head.status == .badGateway })
            #expect(origin.requestCount == 1)
        }
    }

    /// An answer that must not be shared is not handed to waiters: each gets its own from the origin.
    @Test func privateAnswerIsNotShared() async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "private, max-age=60")], body: "yours", gate: gate)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let responses = try await Self.concurrentGets(edge, count: 10, path: "/account", gate: gate)
            #expect(responses.allSatisfy { $0.head.status == .ok })
            #expect(origin.requestCount == 10)
            #expect(responses.allSatisfy { $0.head.headers.first(name: "x-cache") == "PASS" })
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

@Suite struct UnsafeMethodInvalidationTests {
    /// A successful POST drops the stored page at its URL and at the Location it names.
    @Test func successfulPostInvalidates() async throws {
        let origin = try await FakeOrigin.start { head in
            if head.method == .POST {
                return FakeOrigin.Reply(status: .seeOther, headers: [("location", "/cart/summary")], body: "")
            }
            return FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "view of \(head.uri)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            for path in ["/cart", "/cart/summary", "/other"] { _ = try await edge.get(path) }
            #expect(try await edge.get("/cart").head.headers.first(name: "x-cache") == "HIT")
            let posted = try await edge.get("/cart", method: .POST)
            #expect(posted.head.status == .seeOther)
            #expect(try await edge.get("/cart").head.headers.first(name: "x-cache") == "MISS")
            #expect(try await edge.get("/cart/summary").head.headers.first(name: "x-cache") == "MISS")
            #expect(try await edge.get("/other").head.headers.first(name: "x-cache") == "HIT")
        }
    }

    /// A failed unsafe request leaves the cache alone.
    @Test func failedPostDoesNotInvalidate() async throws {
        let origin = try await FakeOrigin.start { head in
            head.method == .POST
                ? FakeOrigin.Reply(status: .unprocessableEntity, body: "no")
                : FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/cart")
            _ = try await edge.get("/cart", method: .POST)
            #expect(try await edge.get("/cart").head.headers.first(name: "x-cache") == "HIT")
        }
    }
}

@Suite struct TenantEdgeSettingsTests {
    /// Cookies on the tenant's allow-list do not make a request private; any other cookie does.
    @Test func cookieAllowList() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], alpineSettings: TenantEdgeSettings(cookieAllowList: ["consent", "ab"])) { edge in
            _ = try await edge.get("/p", headers: [("cookie", "consent=yes; ab=b")])
            let allowed = try await edge.get("/p", headers: [("cookie", "consent=yes")])
            #expect(allowed.head.headers.first(name: "x-cache") == "HIT")
            let session = try await edge.get("/p", headers: [("cookie", "consent=yes; session=secret")])
            #expect(session.head.headers.first(name: "x-cache") == "PASS")
            // The other tenant has no allow-list: any cookie passes.
            let harbor = try await edge.get("/p", tenant: EdgeFixture.harbor, headers: [("cookie", "consent=yes")])
            #expect(harbor.head.headers.first(name: "x-cache") == "PASS")
        }
    }

    /// A tenant may let responses with Set-Cookie be stored; the cookie is never stored or replayed.
    @Test func storeSetCookieStripsTheCookie() async throws {
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60"), ("set-cookie", "visitor=123")], body: "page")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], alpineSettings: TenantEdgeSettings(storeSetCookie: true)) { edge in
            _ = try await edge.get("/p")
            let hit = try await edge.get("/p")
            #expect(hit.head.headers.first(name: "x-cache") == "HIT")
            #expect(hit.head.headers["set-cookie"].isEmpty)
            // Without the setting (the other tenant), such responses pass.
            _ = try await edge.get("/p", tenant: EdgeFixture.harbor)
            #expect(try await edge.get("/p", tenant: EdgeFixture.harbor).head.headers.first(name: "x-cache") == "PASS")
        }
    }

    /// A tenant with heuristic freshness stores responses that carry only `Last-Modified` (10% of its age,
    /// here a day old: 2.4 hours); the other tenant, without the setting, does not store them.
    @Test func heuristicFreshnessIsPerTenant() async throws {
        let dayAgo = HTTPDate.format(Int(Date().timeIntervalSince1970) - 86_400)
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("last-modified", dayAgo)], body: "page") }
        defer { Task { await origin.stop() } }
        let settings = TenantEdgeSettings(heuristicFreshness: HeuristicFreshness(lastModifiedFraction: 0.1, maximumSeconds: 3_600))
        try await EdgeFixture.with(origins: [origin], alpineSettings: settings) { edge in
            var results: [String?] = []
            for tenant in [EdgeFixture.alpine, EdgeFixture.alpine, EdgeFixture.harbor, EdgeFixture.harbor] {
                results.append(try await edge.get("/h", tenant: tenant).head.headers.first(name: "x-cache"))
            }
            #expect(results == ["MISS", "HIT", "PASS", "PASS"])
            #expect(origin.requestCount == 3)
        }
    }
}

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
