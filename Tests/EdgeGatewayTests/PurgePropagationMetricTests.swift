import Foundation
import Shared
import TestSupport
import Testing

@testable import EdgeGateway

/// A purge event's publish time gives the edge its propagation latency histogram.
@Suite struct PurgePropagationMetricTests {
    @Test func appliedEventIsTimed() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(body: "x") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let service = PurgeEventsService(host: "127.0.0.1", port: 1, server: edge.server, logger: TestEnvironment.logger)
            let event = PurgeEvent(tenant: EdgeFixture.alpine, tags: [.tenant(EdgeFixture.alpine)], publishedAt: Date().timeIntervalSince1970 - 0.003)
            service.apply(Array(try JSONEncoder().encode(event)))
            let text = edge.server.metricsText()
            #expect(text.contains("storefront_edge_purge_propagation_seconds_count 1"))
            // 3 ms old when applied: not in the 1 ms bucket, in the 5 ms one.
            #expect(text.contains("storefront_edge_purge_propagation_seconds_bucket{le=\"0.001\"} 0"))
            #expect(text.contains("storefront_edge_purge_propagation_seconds_bucket{le=\"0.1\"} 1"))
        }
    }
}
