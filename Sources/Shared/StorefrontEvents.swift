import Foundation

/// Events the origin publishes and every edge (and origin) subscribes to, on Redis pub/sub.
public enum StorefrontEvents {
    /// Something about the set of storefronts changed (a tenant or domain was added or changed).
    /// The payload is the affected domain; subscribers refresh their tenant directory.
    public static let tenantsChannel = "storefront:tenants"
    /// Cached responses of one tenant must go. The payload is a ``PurgeEvent`` as JSON.
    public static let purgeChannel = "storefront:purge"
}

/// A tenant-scoped purge: drop (or mark stale) every cached response of `tenant` that carries one of `tags`.
///
/// Every tag belongs to `tenant` (``SurrogateKey`` is always tenant-scoped); a subscriber drops tags of any
/// other tenant, so an event can never purge another tenant's objects.
public struct PurgeEvent: Codable, Sendable, Equatable {
    public var tenant: TenantID
    public var tags: [String]
    /// Soft purge: mark stale (still usable under stale-while-revalidate/stale-if-error) instead of removing.
    public var soft: Bool
    /// When it was published (Unix seconds), for the edges' purge propagation latency; optional.
    public var publishedAt: Double?

    /// - Parameters:
    ///   - tenant: the tenant whose objects are purged.
    ///   - tags: its purge tags.
    ///   - soft: mark stale rather than remove.
    ///   - publishedAt: Unix seconds; defaults to now.
    public init(tenant: TenantID, tags: [SurrogateKey], soft: Bool = false, publishedAt: Double? = Date().timeIntervalSince1970) {
        self.tenant = tenant
        self.tags = tags.map(\.rawValue)
        self.soft = soft
        self.publishedAt = publishedAt
    }
}
