import Shared

/// ``StorefrontRepository`` over a ``MemoryDatabase``.
public struct MemoryStorefrontRepository: StorefrontRepository {
    let database: MemoryDatabase

    public init(database: MemoryDatabase) { self.database = database }

    public func storefront(for host: HostName) async throws -> Storefront? {
        database.storefront(for: host)
    }

    public func allEntries() async throws -> [TenantDirectoryEntry] {
        database.allStorefronts()
            .sorted { $0.domain.rawValue < $1.domain.rawValue }
            .map { TenantDirectoryEntry(domain: $0.domain, tenantID: $0.tenantID, edge: $0.settings.edge) }
    }
}
