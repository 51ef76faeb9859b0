import EdgeGateway
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// One tenant's failing pages never take the origin away from the other tenants.
@Suite struct OriginErrorStatusTests {
    /// A streak of 503s for one page is the application's answer, not a dead host: the origin is not
    /// ejected, and the other tenant is served throughout (before, three 503s ejected the only origin and
    /// every tenant got `502 no healthy origin`).
    @Test func errorStatusesDoNotEjectTheOrigin() async throws {
        let origin = try await FakeOrigin.start { head in
            if head.uri.hasPrefix("/broken") {
                return FakeOrigin.Reply(status: .serviceUnavailable, headers: [("cache-control", "no-store")], body: "down for this page")
            }
            return FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "fine")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            for index in 0..<10 {
                let broken = try await edge.get("/broken/\(index)")
                #expect(broken.head.status == .serviceUnavailable)
            }
            let other = try await edge.get("/products/a", tenant: EdgeFixture.harbor)
            #expect(other.head.status == .ok)
            #expect(String(buffer: other.body) == "fine")
            #expect(edge.server.originPool.members.allSatisfy { $0.ejections == 0 })
        }
    }

    /// Statuses listed in the policy do count: three of them eject a member that has a peer to take over.
    @Test func configuredStatusesEject() async throws {
        let flaky = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(status: .badGateway, headers: [("cache-control", "no-store")], body: "bad")
        }
        let steady = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "fine") }
        defer {
            Task {
                await flaky.stop()
                await steady.stop()
            }
        }
        try await EdgeFixture.with(origins: [flaky, steady], configure: { $0.originPolicy.ejectOnStatuses = [502] }) { edge in
            for index in 0..<12 { _ = try await edge.get("/p\(index)") }
            let member = edge.server.originPool.members.first { $0.endpoint.port == flaky.port }
            #expect((member?.ejections ?? 0) >= 1)
        }
    }
}
