import EdgeGateway
import NIOHTTP1
import NIOPosix
import TestSupport
import Testing

/// The active health check asks what the operator configured: path, expected status, Host.
@Suite struct OriginHealthCheckTests {
    /// An origin with no `/health` route but a `/ready` that answers 204: probed there, with the configured
    /// Host, it stays healthy; probed at the default `/health` (404) it is marked unhealthy.
    @Test func configuredPathStatusAndHost() async throws {
        let origin = try await FakeOrigin.start { head in
            if head.uri == "/ready" { return FakeOrigin.Reply(status: .noContent) }
            if head.uri == "/health" { return FakeOrigin.Reply(status: .notFound) }
            return FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "page")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            var check = OriginHealthService.Check()
            check.path = "/ready"
            check.expectedStatus = 204
            check.host = "probe.internal"
            check.timeout = .seconds(10)
            let probes = OriginHealthService(
                pool: edge.server.originPool,
                client: edge.server.originClient,
                eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
                check: check,
                logger: TestEnvironment.logger
            )
            await probes.probeAll()
            await probes.probeAll()
            #expect(edge.server.originPool.members.allSatisfy { $0.healthy })
            let probe = try #require(origin.requests.first { $0.uri == "/ready" })
            #expect(probe.headers.first(name: "host") == "probe.internal")

            var defaults = OriginHealthService.Check()
            defaults.timeout = .seconds(10)
            let defaultProbes = OriginHealthService(
                pool: edge.server.originPool,
                client: edge.server.originClient,
                eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
                check: defaults,
                logger: TestEnvironment.logger
            )
            await defaultProbes.probeAll()
            await defaultProbes.probeAll()
            #expect(edge.server.originPool.members.allSatisfy { !$0.healthy })
            // The only origin, unhealthy by its probes, still gets requests (panic mode), not 502s.
            let page = try await edge.get("/p")
            #expect(page.head.status == .ok)
        }
    }
}
