import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// The edge the `edge` executable runs, built by ``EdgeAssembly`` from a configuration.
@Suite struct EdgeAssemblyTests {
    /// The admin listener is part of the assembly: `/health`, `/metrics` and the token-guarded purge API on its bound port.
    @Test func adminListenerRunsWithTheEdge() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            #expect(edge.adminPort != 0)
            #expect(![edge.ports.https, edge.ports.http].contains(edge.adminPort))
            _ = try await edge.get("/a")
            let health = try await PlainHTTP.send(.GET, "/health", host: "127.0.0.1", port: edge.adminPort)
            #expect(health.text == #"{"status":"ok"}"#)
            let metrics = try await PlainHTTP.send(.GET, "/metrics", host: "127.0.0.1", port: edge.adminPort)
            #expect(metrics.text.contains(#"storefront_edge_requests_total{tenant="alpine",cache="MISS"} 1"#))
            let purge = #"{"tenant":"alpine","url":"/a"}"#
            let denied = try await PlainHTTP.send(
                .POST,
                "/purge",
                host: "127.0.0.1",
                port: edge.adminPort,
                headers: [("authorization", "Bearer dev-edge-admin-token")],
                body: purge
            )
            #expect(denied.head.status == .unauthorized)
            let purged = try await PlainHTTP.send(
                .POST,
                "/purge",
                host: "127.0.0.1",
                port: edge.adminPort,
                headers: [("authorization", "Bearer \(TestEnvironment.edgeAdminToken)")],
                body: purge
            )
            #expect(purged.text == #"{"purged":1}"#)
        }
    }

    /// `--tenants <file>` and `--origins file:<path>`: both files are read before the edge accepts its first connection.
    @Test func tenantsAndOriginsFromFiles() async throws {
        let origin = try await FakeOrigin.start { head in FakeOrigin.Reply(body: "from the listed origin \(head.uri)") }
        defer { Task { await origin.stop() } }
        let domain = "filed-\(String(UInt32.random(in: 0..<UInt32.max), radix: 36)).test"
        let certificates = try await TestCertificates(domains: [domain])
        defer { certificates.remove() }
        let tenantsPath = "\(certificates.directory)/tenants.json"
        try #"{"tenants":[{"domain":"\#(domain)","tenantId":"filed"}]}"#.write(toFile: tenantsPath, atomically: true, encoding: .utf8)
        let originsPath = "\(certificates.directory)/origins.txt"
        try "# the origins\n127.0.0.1:\(origin.port)\n".write(toFile: originsPath, atomically: true, encoding: .utf8)

        var configuration = TestEnvironment.edgeConfiguration(tenants: [], certificates: certificates, origins: [])
        configuration.tenants = .file(tenantsPath)
        try configuration.setOrigins(parsing: "file:\(originsPath)")
        let client = try HTTPSTestClient(caPath: certificates.caPath)
        try await withRunningEdge(configuration: configuration) { edge in
            #expect(edge.server.originPool.endpoints == [HTTPEndpoint(host: "127.0.0.1", port: origin.port)])
            let response = try await client.request("/p", port: edge.ports.https, serverName: domain)
            #expect(response.head.status == .ok)
            #expect(response.text == "from the listed origin /p")
        }
    }

    /// An origins file that lists no origin stops the edge from starting, naming the file.
    @Test func noOriginIsAStartError() async throws {
        let certificates = TestCertificates(existing: NSTemporaryDirectory())
        let originsPath = NSTemporaryDirectory() + "empty-origins-\(UUID().uuidString).txt"
        try "# nothing yet\n".write(toFile: originsPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: originsPath) }
        var configuration = TestEnvironment.edgeConfiguration(tenants: [], certificates: certificates, origins: [])
        try configuration.setOrigins(parsing: "file:\(originsPath)")
        let error = await #expect(throws: EdgeConfigurationError.self) {
            _ = try await EdgeAssembly.build(configuration: configuration, logger: TestEnvironment.logger, handlesSignals: false)
        }
        #expect(error?.description == "no valid origin in 'file:\(originsPath)'")
    }

    /// The command line's syntaxes for origins, tenants, Redis and the access log.
    @Test func commandLineSyntaxes() throws {
        var configuration = EdgeConfiguration(origins: [])
        try configuration.setOrigins(parsing: "127.0.0.1:8081, 10.0.0.2:8082")
        #expect(configuration.origins == [HTTPEndpoint(host: "127.0.0.1", port: 8081), HTTPEndpoint(host: "10.0.0.2", port: 8082)])
        #expect(configuration.originDiscovery == nil)
        try configuration.setOrigins(parsing: "dns:origin.storefront.svc:8081")
        guard case .dns(let host, let port) = configuration.originDiscovery else {
            Issue.record("dns: did not set DNS discovery")
            return
        }
        #expect(host == "origin.storefront.svc" && port == 8081)
        #expect(throws: EdgeConfigurationError.self) { try configuration.setOrigins(parsing: "dns:origin.storefront.svc") }
        #expect(throws: EdgeConfigurationError.self) { try configuration.setOrigins(parsing: "nowhere") }

        // Tenants from the origins' internal listeners, never from the storefront pool.
        try configuration.setTenants(parsing: "origin", originInternal: "origin-internal.svc:9181, 10.0.0.2:9182")
        guard case .origin(let internalListeners) = configuration.tenants else {
            Issue.record("origin did not set the origin tenant source")
            return
        }
        #expect(internalListeners == [HTTPEndpoint(host: "origin-internal.svc", port: 9181), HTTPEndpoint(host: "10.0.0.2", port: 9182)])
        #expect(throws: EdgeConfigurationError.self) { try configuration.setTenants(parsing: "origin", originInternal: "") }
        try configuration.setTenants(parsing: "/etc/tenants.json", originInternal: "")
        guard case .file("/etc/tenants.json") = configuration.tenants else {
            Issue.record("a path did not set the file tenant source")
            return
        }

        try configuration.setRedis(parsing: "off")
        #expect(configuration.redis == nil)
        try configuration.setRedis(parsing: "redis.internal:6379")
        #expect(configuration.redis == HTTPEndpoint(host: "redis.internal", port: 6379))
        #expect(throws: EdgeConfigurationError.self) { try configuration.setRedis(parsing: "redis.internal") }

        configuration.setAccessLog(parsing: "off")
        #expect(configuration.accessLog == nil)
        configuration.setAccessLog(parsing: "stdout")
        #expect(configuration.accessLog != nil)
    }
}
