import EdgeCore
import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

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
