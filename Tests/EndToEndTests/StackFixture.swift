import EdgeGateway
import Origin
import Shared
import TestSupport

/// Two tenants, their certificates, an origin on the real databases and an edge in front, on free ports.
struct Stack: Sendable {
    let alpine: Seeder.TenantSpec
    let harbor: Seeder.TenantSpec
    let certificates: TestCertificates
    let client: HTTPSTestClient
    let database: TestDatabase
    let registry: TenantRegistry
    let ports: EdgeServer.BoundPorts
    let originPort: Int
    /// The origin's internal listener (tenant list, platform routes).
    let originInternalPort: Int

    var httpsPort: Int { ports.https }

    /// Runs `body` with the whole stack up; everything is stopped afterwards.
    static func with(_ body: @Sendable (Stack) async throws -> Void) async throws {
        try await TestDatabase.with { database in
            let alpine = TestEnvironment.uniqueTenant(name: "Alpine Outfitters")
            let harbor = TestEnvironment.uniqueTenant(name: "Harbor Coffee")
            try await database.createTenant(alpine)
            try await database.createTenant(harbor)
            let certificates = try await TestCertificates(domains: [alpine.domain.rawValue, harbor.domain.rawValue])
            defer { certificates.remove() }
            let client = try HTTPSTestClient(caPath: certificates.caPath)
            try await withRunningOriginListeners { origin in
                let originPort = origin.storefront
                let entries = [alpine, harbor].map { TenantDirectoryEntry(domain: $0.domain, tenantID: $0.id) }
                try await withRunningEdge(
                    tenants: entries,
                    certificates: certificates,
                    origins: [HTTPEndpoint(host: "127.0.0.1", port: originPort)]
                ) { registry, ports, _ in
                    try await body(
                        Stack(
                            alpine: alpine,
                            harbor: harbor,
                            certificates: certificates,
                            client: client,
                            database: database,
                            registry: registry,
                            ports: ports,
                            originPort: originPort,
                            originInternalPort: origin.internal
                        )
                    )
                }
            }
        }
    }
}
