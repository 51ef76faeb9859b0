import EdgeGateway
import Foundation
import LoadGenerator
import Testing
import TestSupport

/// The load tool against the real stack (origin on PostgreSQL primary + replica, edge over TLS): its counts
/// add up and agree with the edge's own.
@Suite struct LoadToolTests {
    @Test func shortRunReportsHitsPassesAndLatency() async throws {
        try await Stack.with { stack in
            var configuration = LoadConfiguration(
                edge: HTTPEndpoint(host: "127.0.0.1", port: stack.httpsPort),
                caPath: stack.certificates.caPath,
                tenants: [
                    LoadTenant(id: stack.alpine.id.rawValue, domain: stack.alpine.domain.rawValue),
                    LoadTenant(id: stack.harbor.id.rawValue, domain: stack.harbor.domain.rawValue),
                ],
                products: 5
            )
            configuration.connections = 4
            configuration.duration = .seconds(3)
            configuration.uncacheableShare = 0.5
            let report = try await LoadRunner(configuration: configuration).run()
            let overall = report.overall
            // A loaded CI machine may manage few requests: the invariants below hold for any count.
            #expect(overall.requests >= 20)
            #expect(overall.errors.isEmpty, "\(overall.errors)")
            #expect(overall.hits + overall.misses + overall.passes == overall.requests)
            #expect(overall.passes > 0)
            // Five products per tenant: at most ten misses, every other cacheable request a hit.
            #expect(overall.misses <= 10)
            #expect(overall.hits >= overall.requests - overall.passes - 10)
            #expect(overall.latency.p50 > 0 && overall.latency.p50 <= overall.latency.p99)
            #expect(Set(report.perTenant.keys) == [stack.alpine.id.rawValue, stack.harbor.id.rawValue])
            #expect(!report.intervals.isEmpty)
            let json = try JSONSerialization.jsonObject(with: try report.json()) as? [String: Any]
            #expect(json?["overall"] != nil)
            let html = report.html()
            #expect(html.contains("<svg") && html.contains(stack.alpine.id.rawValue))
        }
    }
}
