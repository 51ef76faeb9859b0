import Shared

/// Tenant onboarding and tenant admin users. Passwords never reach it: it stores and returns bcrypt hashes.
public protocol AdminRepository: Sendable {
    /// Creates a tenant named `name` together with its first storefront, or neither. Platform work: it needs
    /// no tenant scope.
    func createTenant(name: String, storefront: Storefront) async throws -> TenantCreation
    /// Adds the tenant's first admin user; must run inside the tenant's ``TenantScope``.
    func createFirstAdmin(_ tenant: TenantID, email: String, passwordHash: String) async throws -> AdminCreation
    /// The password hash of the tenant's admin user `email`, or `nil`; must run inside the tenant's scope.
    func passwordHash(_ tenant: TenantID, email: String) async throws -> String?
}

/// What ``AdminRepository/createTenant(name:storefront:)`` did.
public enum TenantCreation: Sendable, Equatable {
    case created
    /// Another tenant has this id; nothing was written.
    case idTaken
    /// Another storefront has this domain; nothing was written.
    case domainTaken
}

/// What ``AdminRepository/createFirstAdmin(_:email:passwordHash:)`` did.
public enum AdminCreation: Sendable, Equatable {
    case created
    /// There is no such tenant.
    case noSuchTenant
    /// The tenant already has an admin user; nothing was written.
    case alreadyHasAdmin
}
