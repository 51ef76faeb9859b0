import EdgeCore
import NIOHTTP1
import TestSupport
import Testing

@testable import EdgeGateway

/// Passive ejection on the edge's clock: an origin that fails three times in a row is out for 5 s, twice as
/// long each further time in a row (at most 60 s), and back as soon as its time is up. Time moves only by
/// `ManualEdgeClock.advance(seconds:)`.
@Suite struct OriginEjectionTests {
    static let flaky = HTTPEndpoint(host: "127.0.0.1", port: 1)
    static let steady = HTTPEndpoint(host: "127.0.0.1", port: 2)

    /// Three failures in a row on `endpoint`, each a request the pool handed out.
    static func failThreeTimes(_ pool: OriginPool, _ endpoint: HTTPEndpoint) {
        for _ in 0..<3 {
            #expect(pool.acquire(excluding: [steady]) == endpoint)
            pool.release(endpoint, outcome: .failure)
        }
    }

    /// Whether the pool would hand out `flaky` now (a request that then succeeds).
    static func flakyIsUsable(_ pool: OriginPool) -> Bool {
        guard let chosen = pool.acquire(excluding: [steady]) else { return false }
        pool.release(chosen, outcome: .success)
        return chosen == flaky
    }

    static func member(_ pool: OriginPool, _ endpoint: HTTPEndpoint) -> OriginBalancer<HTTPEndpoint>.Member? {
        pool.members.first { $0.endpoint == endpoint }
    }

    /// Ejected for 5 s, then 10, 20, 40 and never more than 60 s while it keeps failing.
    @Test func ejectionDoublesUpToTheMaximum() {
        let clock = ManualEdgeClock()
        let pool = OriginPool(endpoints: [Self.flaky, Self.steady], clock: clock)
        for seconds in [5.0, 10, 20, 40, 60, 60] {
            Self.failThreeTimes(pool, Self.flaky)
            #expect(pool.acquire(excluding: [Self.steady]) == nil, "ejected for \(seconds) s")
            for _ in 0..<4 { #expect(pool.acquire(excluding: []) == Self.steady) }
            for _ in 0..<4 { pool.release(Self.steady, outcome: .success) }
            clock.advance(seconds: seconds - 0.5)
            #expect(pool.acquire(excluding: [Self.steady]) == nil, "still out half a second before \(seconds) s")
            clock.advance(seconds: 0.5)
            // Back, and failing again at once: the next ejection is twice as long.
        }
        #expect(Self.member(pool, Self.flaky)?.ejections == 6)
    }

    /// Ejection ends at its deadline on the pool's clock, not on the system's.
    @Test func ejectedUntilIsOnThePoolsClock() {
        let clock = ManualEdgeClock()
        let pool = OriginPool(endpoints: [Self.flaky, Self.steady], clock: clock)
        Self.failThreeTimes(pool, Self.flaky)
        #expect(Self.member(pool, Self.flaky)?.ejectedUntil == clock.nanoseconds + 5_000_000_000)
        clock.advance(seconds: 4.5)
        #expect(!Self.flakyIsUsable(pool))
        clock.advance(seconds: 0.5)
        #expect(Self.flakyIsUsable(pool))
    }

    /// A success after the ejection ends starts the backoff over: the next ejection is 5 s again.
    @Test func successAfterReadmissionResetsTheBackoff() {
        let clock = ManualEdgeClock()
        let pool = OriginPool(endpoints: [Self.flaky, Self.steady], clock: clock)
        Self.failThreeTimes(pool, Self.flaky)
        clock.advance(seconds: 5)
        Self.failThreeTimes(pool, Self.flaky)
        #expect(Self.member(pool, Self.flaky)?.ejectedUntil == clock.nanoseconds + 10_000_000_000)
        clock.advance(seconds: 10)
        #expect(Self.flakyIsUsable(pool))
        #expect(Self.member(pool, Self.flaky)?.ejections == 0)
        Self.failThreeTimes(pool, Self.flaky)
        #expect(Self.member(pool, Self.flaky)?.ejectedUntil == clock.nanoseconds + 5_000_000_000)
    }

    /// Failures while already ejected (requests that were in flight) neither extend nor double it.
    @Test func failuresDuringAnEjectionDoNotExtendIt() {
        let clock = ManualEdgeClock()
        let pool = OriginPool(endpoints: [Self.flaky, Self.steady], clock: clock)
        let inFlight = (0..<3).map { _ in pool.acquire(excluding: [Self.steady]) }
        #expect(inFlight.allSatisfy { $0 == Self.flaky })
        Self.failThreeTimes(pool, Self.flaky)
        let until = Self.member(pool, Self.flaky)?.ejectedUntil
        clock.advance(seconds: 1)
        for _ in inFlight { pool.release(Self.flaky, outcome: .failure) }
        #expect(Self.member(pool, Self.flaky)?.ejectedUntil == until)
        #expect(Self.member(pool, Self.flaky)?.ejections == 1)
        clock.advance(seconds: 4)
        #expect(Self.flakyIsUsable(pool))
    }

    /// Through the edge: a dead origin is ejected after three failed tries, left alone while ejected (every
    /// request goes to the live one at once), tried again when its time is up, then ejected for twice as long.
    @Test func deadOriginIsRetriedWhenItsEjectionEnds() async throws {
        let live = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "live") }
        let dead = try ClosedPort()
        defer { Task { await live.stop() } }
        let clock = ManualEdgeClock()
        try await EdgeFixture.with(origins: [live], unreachable: [dead], configure: { $0.clock = clock }) { edge in
            let pool = edge.server.originPool
            func deadMember() -> OriginBalancer<HTTPEndpoint>.Member? { pool.members.first { $0.endpoint.port == dead.port } }
            func getUntilEjected(_ ejections: Int) async throws {
                for index in 0..<20 where (deadMember()?.ejections ?? 0) < ejections {
                    let response = try await edge.get("/e\(ejections)/\(index)")
                    #expect(response.head.status == .ok && response.text == "live")
                }
            }
            try await getUntilEjected(1)
            #expect(deadMember()?.ejections == 1)
            #expect(deadMember()?.ejectedUntil == clock.nanoseconds + 5_000_000_000)
            // While ejected: never tried, so it cannot fail again.
            clock.advance(seconds: 4.5)
            for index in 0..<10 { #expect(try await edge.get("/while/\(index)").text == "live") }
            #expect(deadMember()?.ejections == 1)
            #expect(deadMember()?.consecutiveFailures == 0)
            // Its time is up: tried again, fails, and is out for 10 s.
            clock.advance(seconds: 0.5)
            try await getUntilEjected(2)
            #expect(deadMember()?.ejectedUntil == clock.nanoseconds + 10_000_000_000)
            withExtendedLifetime(dead) {}
        }
    }
}
