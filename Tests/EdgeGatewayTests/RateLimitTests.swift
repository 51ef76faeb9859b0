import EdgeCore
import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The edge's rate limits on loopback, through its HTTPS listener in front of a fake origin. Rates are set
/// low (one request a minute refills) so that no test depends on timing: only the burst is spent.
@Suite struct RateLimitTests {
    static let slow = RateLimit(perSecond: 1.0 / 60, burst: 3)

    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            if head.uri.hasPrefix("/account") {
                let password = head.headers.first(name: "authorization") == "Basic b3duZXI6cmlnaHQ="  // owner:right
                return password ? FakeOrigin.Reply(body: "welcome") : FakeOrigin.Reply(status: .unauthorized, body: "no")
            }
            if head.uri.hasPrefix("/cached") {
                return FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=600")], body: "page \(head.uri)")
            }
            return FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "fresh \(head.uri)")
        }
    }

    /// Origin-bound requests beyond a client's burst get 429 with Retry-After and never reach the origin;
    /// cache hits are still served (they are not counted by default); the other tenant is untouched.
    @Test func aClientOverItsRateGets429WhileHitsAndOtherTenantsAreServed() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.rateLimits.perClient = Self.slow }) { edge in
            _ = try await edge.get("/cached/page")  // a miss: one token
            for index in 1...2 { #expect(try await edge.get("/pass/\(index)").head.status == .ok) }
            let refused = try await edge.get("/pass/3")
            #expect(refused.head.status == .tooManyRequests)
            #expect(Int(refused.head.headers.first(name: "retry-after") ?? "") ?? 0 >= 1)
            #expect(!origin.requests.contains { $0.uri == "/pass/3" }, "a refused request never reaches the origin")
            for _ in 0..<10 {
                let hit = try await edge.get("/cached/page")
                #expect(hit.head.status == .ok)
                #expect(hit.head.headers.first(name: "x-cache") == "HIT")
            }
            #expect(try await edge.get("/pass/1", tenant: EdgeFixture.harbor).head.status == .ok)
            let metrics = try await PlainHTTP.send(.GET, "/metrics", host: "127.0.0.1", port: edge.adminPort)
            #expect(metrics.text.contains(#"storefront_edge_rate_limited_total{limit="client"} 1"#))
        }
    }

    /// A tenant that counts hits is limited on hits too (HTTP/1.1 and HTTP/2 alike).
    @Test func aTenantCountingHitsLimitsThemToo() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let settings = TenantEdgeSettings(rateLimits: TenantRateLimits(perClient: Self.slow, countCacheHits: true))
        try await EdgeFixture.with(origins: [origin], alpineSettings: settings) { edge in
            var statuses: [UInt] = []
            for _ in 0..<4 { statuses.append(try await edge.get("/cached/page").head.status.code) }
            #expect(statuses == [200, 200, 200, 429])
            let h2 = try await Curl.get("/cached/page", port: edge.ports.https, serverName: edge.alpineDomain, caPath: edge.caPath)
            #expect(h2.httpVersion == "2")
            #expect(h2.status == 429)
        }
    }

    /// A per-tenant limit at this edge: once the tenant's burst is spent, every client of it waits.
    @Test func aTenantOverItsRateGets429ForEveryClient() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let settings = TenantEdgeSettings(rateLimits: TenantRateLimits(perTenant: Self.slow))
        try await EdgeFixture.with(
            origins: [origin],
            alpineSettings: settings,
            configure: { $0.trustedProxies = TrustedProxies(parsing: "127.0.0.1/32")! }
        ) {
            edge in
            var statuses: [UInt] = []
            for index in 0..<4 {
                statuses.append(try await edge.get("/pass/\(index)", headers: [("x-forwarded-for", "198.51.100.\(index)")]).head.status.code)
            }
            #expect(statuses == [200, 200, 200, 429])
        }
    }

    /// Behind a trusted proxy each forwarded client has its own bucket (and the origin learns that address);
    /// from an untrusted peer the header changes nothing.
    @Test func forwardedClientsAreLimitedApartOnlyBehindTrustedProxies() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let limited: (inout EdgeConfiguration) -> Void = { $0.rateLimits.perClient = Self.slow }
        try await EdgeFixture.with(
            origins: [origin],
            configure: { configuration in
                limited(&configuration)
                configuration.trustedProxies = TrustedProxies(parsing: "127.0.0.0/8, ::1, 10.0.0.0/8")!
            }
        ) { edge in
            for client in ["203.0.113.7", "203.0.113.8"] {
                var statuses: [UInt] = []
                for index in 0..<4 {
                    // A second trusted proxy (10.0.0.1) appended what it saw; the test client (127.0.0.1) is the first.
                    let forwarded = [("x-forwarded-for", "\(client), 10.0.0.1")]
                    statuses.append(try await edge.get("/pass/\(client)/\(index)", headers: forwarded).head.status.code)
                }
                #expect(statuses == [200, 200, 200, 429], "\(client)")
            }
            let seen = origin.requests.filter { $0.uri.hasPrefix("/pass/203.0.113.7") }.compactMap { $0.headers.first(name: "x-forwarded-for") }
            #expect(seen.count == 3 && seen.allSatisfy { $0 == "203.0.113.7" }, "the right-most untrusted address: \(seen)")
        }
        try await EdgeFixture.with(origins: [origin], configure: limited) { edge in
            var statuses: [UInt] = []
            for index in 0..<4 {
                statuses.append(try await edge.get("/spoof/\(index)", headers: [("x-forwarded-for", "192.0.2.\(index)")]).head.status.code)
            }
            #expect(statuses == [200, 200, 200, 429], "an untrusted peer cannot pick fresh addresses")
        }
    }

    /// Wrong passwords: after the burst of failed logins the client is refused before the origin is asked,
    /// even with the right password, until the bucket refills; a client without credentials is unaffected.
    @Test func failedLoginsAreRefusedAfterTheBurst() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.rateLimits.failedLogins = Self.slow }) { edge in
            let wrong = [("authorization", "Basic b3duZXI6d3Jvbmc=")]  // owner:wrong
            var statuses: [UInt] = []
            for _ in 0..<3 { statuses.append(try await edge.get("/account", headers: wrong).head.status.code) }
            #expect(statuses == [401, 401, 401])
            let asked = origin.requests.filter { $0.uri == "/account" }.count
            let refused = try await edge.get("/account", headers: [("authorization", "Basic b3duZXI6cmlnaHQ=")])
            #expect(refused.head.status == .tooManyRequests)
            #expect(refused.text.contains("too many failed logins"))
            #expect(refused.head.headers.first(name: "retry-after") != nil)
            #expect(origin.requests.filter { $0.uri == "/account" }.count == asked, "refused before the origin")
            #expect(try await edge.get("/pass/anonymous").head.status == .ok)
        }
    }

    /// After three failed logins each further attempt waits before it reaches the origin (250 ms, then
    /// doubling), until the bucket is empty and attempts are refused. Only a lower bound on the wait is
    /// checked: a loaded machine makes it longer, never shorter.
    @Test func failedLoginsAreSlowedBeforeTheyAreRefused() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let slowed: (inout EdgeConfiguration) -> Void = { $0.rateLimits.failedLogins = RateLimit(perSecond: 1.0 / 3600, burst: 6) }
        try await EdgeFixture.with(origins: [origin], configure: slowed) { edge in
            let wrong = [("authorization", "Basic b3duZXI6d3Jvbmc=")]
            var statuses: [UInt] = []
            var waits: [Duration] = []
            for _ in 0..<7 {
                let start = ContinuousClock.now
                statuses.append(try await edge.get("/account", headers: wrong).head.status.code)
                waits.append(ContinuousClock.now - start)
            }
            #expect(statuses == [401, 401, 401, 401, 401, 401, 429])
            for (attempt, least) in [(3, 250), (4, 500), (5, 1000)] {
                #expect(waits[attempt] >= .milliseconds(least), "attempt \(attempt + 1) waited \(waits[attempt]), at least \(least) ms expected")
            }
        }
    }

    /// The fleet's own clients, with the exemption secret, are never limited, and the secret never reaches
    /// the origin; without it (or with a wrong one) the same requests are limited.
    @Test func theFleetsExemptionSecretSkipsTheLimitsAndIsNeverForwarded() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let secret = "fleet-exemption-secret-of-enough-length"
        try await EdgeFixture.with(
            origins: [origin],
            configure: { configuration in
                configuration.rateLimits.perClient = Self.slow
                configuration.rateExemptToken = secret
            }
        ) { edge in
            for index in 0..<10 {
                #expect(try await edge.get("/pass/exempt/\(index)", headers: [("x-storefront-rate-exempt", secret)]).head.status == .ok)
            }
            #expect(!origin.requests.contains { $0.headers.contains(name: "x-storefront-rate-exempt") })
            var statuses: [UInt] = []
            for index in 0..<4 {
                statuses.append(try await edge.get("/pass/guess/\(index)", headers: [("x-storefront-rate-exempt", "guess")]).head.status.code)
            }
            #expect(statuses == [200, 200, 200, 429])
        }
    }
}
