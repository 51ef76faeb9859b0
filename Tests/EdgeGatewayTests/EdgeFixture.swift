import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport

/// An edge on free ports in front of fake origins, with two tenants and real certificates.
struct EdgeFixture: Sendable {
    static let alpine = TenantID("alpine")!
    static let harbor = TenantID("harbor")!
    let alpineDomain: String
    let harborDomain: String
    let client: HTTPSTestClient
    let ports: EdgeServer.BoundPorts
    /// The admin listener's port (`/health`, `/metrics`, `POST /purge` with ``TestEnvironment/edgeAdminToken``).
    let adminPort: Int
    let server: EdgeServer
    let caPath: String
    let registry: TenantRegistry

    func get(
        _ path: String,
        tenant: TenantID = Self.alpine,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = []
    )
        async throws -> HTTPClientResponse
    {
        let domain = tenant == Self.alpine ? alpineDomain : harborDomain
        return try await client.request(path, port: ports.https, serverName: domain, method: method, headers: headers)
    }

    /// Runs `body` with an edge in front of `origins` (fake origins started by the test) and of
    /// `unreachable` ports (origins that are down).
    static func with(
        origins: [FakeOrigin],
        unreachable: [ClosedPort] = [],
        alpineSettings: TenantEdgeSettings? = nil,
        configure: (inout EdgeConfiguration) -> Void = { _ in },
        sameTenantsAs other: EdgeFixture? = nil,
        _ body: @Sendable (EdgeFixture) async throws -> Void
    ) async throws {
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let alpineDomain = other?.alpineDomain ?? "alpine-\(suffix).test"
        let harborDomain = other?.harborDomain ?? "harbor-\(suffix).test"
        // A second edge for the same storefronts (a rolling restart) shares the first one's certificates.
        let certificates =
            if let other { TestCertificates(existing: URL(fileURLWithPath: other.caPath).deletingLastPathComponent().path) } else {
                try await TestCertificates(domains: [alpineDomain, harborDomain])
            }
        defer { if other == nil { certificates.remove() } }
        let client = try HTTPSTestClient(caPath: certificates.caPath)
        var configuration = TestEnvironment.edgeConfiguration(
            tenants: [
                TenantDirectoryEntry(domain: HostName(normalising: alpineDomain)!, tenantID: alpine, edge: alpineSettings),
                TenantDirectoryEntry(domain: HostName(normalising: harborDomain)!, tenantID: harbor),
            ],
            certificates: certificates,
            origins: origins.map { HTTPEndpoint(host: "127.0.0.1", port: $0.port) }
                + unreachable.map { HTTPEndpoint(host: "127.0.0.1", port: $0.port) }
        )
        configure(&configuration)
        try await withRunningEdge(configuration: configuration) { edge in
            try await body(
                EdgeFixture(
                    alpineDomain: alpineDomain,
                    harborDomain: harborDomain,
                    client: client,
                    ports: edge.publicPorts,
                    adminPort: edge.ports.admin ?? 0,
                    server: edge.server,
                    caPath: certificates.caPath,
                    registry: edge.registry
                )
            )
        }
    }
}
