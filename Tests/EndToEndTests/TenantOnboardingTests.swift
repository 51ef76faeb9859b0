import EdgeGateway
import Foundation
import Origin
import Shared
import TestSupport
import Testing

/// A new tenant is a row and an API call: served by a running edge without a restart, through the tenant
/// event (the periodic refresh is a minute away). Measured on a quiet machine it takes well under a second;
/// the test allows 15 s so a busy CI machine does not fail it (speed belongs to benchmarks).
@Suite struct TenantOnboardingTests {
    @Test func newTenantServedByEdgeThroughTheEvent() async throws {
        try await TestDatabase.with { db in
            let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
            let id = "onboard-\(suffix)"
            let domain = "onboard-\(suffix).test"
            // The certificate exists first (cert-manager issues it as the domain is set up).
            let certificates = try await TestCertificates(domains: [domain])
            defer { certificates.remove() }
            let client = try HTTPSTestClient(caPath: certificates.caPath)
            try await withRunningOriginListeners { origin in
                try await withRunningEdgeLearningFromOrigin(
                    origins: [HTTPEndpoint(host: "127.0.0.1", port: origin.storefront)],
                    internal: [HTTPEndpoint(host: "127.0.0.1", port: origin.internal)],
                    certificates: certificates,
                    periodicRefresh: .seconds(60)
                ) { registry, ports in
                    #expect(registry.snapshot.tenant(for: HostName(normalising: domain)!) == nil)
                    let created = try await PlainHTTP.send(
                        .POST,
                        "/admin/tenants",
                        host: "origin.internal",
                        port: origin.internal,
                        headers: [("authorization", "Bearer test-admin-token")],
                        body: #"{"id":"\#(id)","name":"Fresh Shop","domain":"\#(domain)"}"#
                    )
                    #expect(created.head.status == .created)
                    var page: HTTPClientResponse?
                    let served = "the edge to serve the new storefront (before its 60 s periodic refresh)"
                    try await waitUntil(served, timeout: .seconds(15), pollEvery: .milliseconds(25)) {
                        page = try? await client.request("/api/storefront", port: ports.https, serverName: domain)
                        return page?.head.status == .ok
                    }
                    #expect(page?.text.contains("Fresh Shop") == true)
                }
            }
        }
    }
}
