import Foundation

/// Events the origin publishes and every edge (and origin) subscribes to, on Redis.
///
/// Purges travel at least once: the origin keeps each in a durable outbox until Redis accepted it on
/// ``purgeStream``, and each edge reads that stream on from the last entry it applied. They are also published
/// on ``purgeChannel`` (pub/sub, at most once) for subscribers that do not read the stream. Tenant changes
/// travel on pub/sub only: their subscribers reload the whole directory when they reconnect.
public enum StorefrontEvents {
    /// Something about the set of storefronts changed (a tenant or domain was added or changed).
    /// The payload is the affected domain; subscribers refresh their tenant directory.
    public static let tenantsChannel = "storefront:tenants"
    /// Cached responses of one tenant must go. The payload is a ``PurgeEvent`` as JSON.
    public static let purgeChannel = "storefront:purge"
    /// The purge stream: each entry has one field, ``purgeStreamField``, holding a ``PurgeEvent`` as JSON.
    /// Capped at about ``purgeStreamLength`` entries (`XADD MAXLEN ~`).
    public static let purgeStream = "storefront:purges"
    /// The field of a ``purgeStream`` entry that holds the event.
    public static let purgeStreamField = "event"
    /// How many entries the purge stream keeps at least: an edge cut off for longer than that many purges
    /// cannot catch up and drops its cache instead.
    public static let purgeStreamLength = 10_000
    /// The purge stream's epoch: a random id set with `SET NX` by the first reader after the stream's Redis
    /// started empty. An edge that finds a different epoch than the one it read from knows the stream it read
    /// was lost.
    public static let purgeStreamEpoch = "storefront:purges:epoch"
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
