import EdgeGateway
import Foundation
import LoadGenerator
import Shared
import TestSupport
import Testing

/// The load tool against the real stack (origin on PostgreSQL primary + replica, edge over TLS): its counts
/// add up and agree with the edge's own and with what the origin received.
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
            #expect(!report.errorBudget.exceeded)
            #expect(overall.hits + overall.misses + overall.passes == overall.requests)
            #expect(overall.passes > 0)
            // Five products per tenant: at most ten misses, every other cacheable request a hit.
            #expect(overall.misses <= 10)
            #expect(overall.hits >= overall.requests - overall.passes - 10)
            #expect(overall.latency.p50 > 0 && overall.latency.p50 <= overall.latency.p99)
            #expect(Set(report.perTenant.keys) == [stack.alpine.id.rawValue, stack.harbor.id.rawValue])
            #expect(!report.intervals.isEmpty)
            #expect(report.settings.catalogueSource == "--products")
            let json = try JSONSerialization.jsonObject(with: try report.json()) as? [String: Any]
            #expect(json?["overall"] != nil)
            let html = report.html()
            #expect(html.contains("<svg") && html.contains(stack.alpine.id.rawValue))
        }
    }

    /// With no `--products`, each tenant's catalogue size comes from the stack (7 and 12 products here), so
    /// no request asks for a product that does not exist; the headline origin ratio is 1 − the requests the
    /// origin received (counted by a relay in front of it) over the requests sent.
    @Test func catalogueFromTheStackAndOriginRatioFromWhatTheOriginReceived() async throws {
        try await TestDatabase.with { database in
            let alpine = TestEnvironment.uniqueTenant(name: "Alpine Outfitters")
            let harbor = TestEnvironment.uniqueTenant(name: "Harbor Coffee")
            try await database.createTenant(alpine, products: 7)
            try await database.createTenant(harbor, products: 12)
            let certificates = try await TestCertificates(domains: [alpine.domain.rawValue, harbor.domain.rawValue])
            defer { certificates.remove() }
            try await OriginProcess.with { origin in
                try await CountingRelay.with(to: origin.endpoint) { relay in
                    let entries = [alpine, harbor].map { TenantDirectoryEntry(domain: $0.domain, tenantID: $0.id) }
                    let edge = [HTTPEndpoint(host: "127.0.0.1", port: relay.port)]
                    try await withRunningEdge(tenants: entries, certificates: certificates, origins: edge) { _, ports, _ in
                        var configuration = LoadConfiguration(
                            edge: HTTPEndpoint(host: "127.0.0.1", port: ports.https),
                            caPath: certificates.caPath,
                            tenants: [alpine, harbor].map { LoadTenant(id: $0.id.rawValue, domain: $0.domain.rawValue) }
                        )
                        configuration.tenants = try await CatalogueProbe(configuration: configuration).tenantsWithCatalogueSizes()
                        #expect(configuration.tenants.map(\.products) == [7, 12])
                        configuration.connections = 4
                        configuration.duration = .seconds(3)
                        configuration.uncacheableShare = 0.3
                        configuration.originAdmins = [origin.adminEndpoint]
                        let receivedBefore = relay.requests
                        let report = try await LoadRunner(configuration: configuration).run()
                        let received = relay.requests - receivedBefore
                        let overall = report.overall
                        #expect(overall.requests >= 20)
                        #expect(overall.errorCount == 0, "\(overall.errors)")
                        #expect(report.errorBudget.share == 0 && !report.errorBudget.exceeded)
                        #expect(report.settings.catalogueSource == "stack")
                        // Some requests were hits, so the origin received fewer than were sent.
                        #expect(received > 0 && received < overall.requests)
                        #expect(report.originRequests == received)
                        let expected = 1 - Double(received) / Double(overall.requests)
                        let headline = try #require(report.originObservedHitRatio)
                        #expect(abs(headline - expected) < 1e-9, "headline \(headline), origin received \(received) of \(overall.requests)")
                        // Every request was a product page: the per-tenant counter agrees here.
                        #expect(report.originProductRequests == received)
                    }
                }
            }
        }
    }
}
