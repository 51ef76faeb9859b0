import Shared

/// ``AdminRepository`` over a ``MemoryDatabase``.
public struct MemoryAdminRepository: AdminRepository {
    let database: MemoryDatabase

    public init(database: MemoryDatabase) { self.database = database }

    public func createTenant(name: String, storefront: Storefront) async throws -> TenantCreation {
        database.addTenant(name: name, storefront: storefront)
    }

    public func createFirstAdmin(_ tenant: TenantID, email: String, passwordHash: String) async throws -> AdminCreation {
        try database.checkScope(tenant)
        guard database.tenantExists(tenant) else { return .noSuchTenant }
        return try database.withTenant(tenant) { rows in
            guard rows.admins.isEmpty else { return .alreadyHasAdmin }
            rows.admins[email] = passwordHash
            return .created
        }
    }

    public func passwordHash(_ tenant: TenantID, email: String) async throws -> String? {
        try database.withTenant(tenant) { $0.admins[email] }
    }
}
