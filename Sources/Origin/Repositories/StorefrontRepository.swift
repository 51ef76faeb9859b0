import Shared

/// The platform's table of storefronts: which tenant a domain belongs to. Not tenant data (it is how a
/// request finds its tenant), so it needs no tenant scope.
public protocol StorefrontRepository: Sendable {
    /// The storefront serving `host`, or `nil` when none does.
    func storefront(for host: HostName) async throws -> Storefront?
    /// Every storefront as edges learn it, ordered by domain.
    func allEntries() async throws -> [TenantDirectoryEntry]
}
