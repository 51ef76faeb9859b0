import Shared

/// The rate limits that apply to one tenant's requests at an edge: the edge's defaults overridden by the
/// tenant's settings (``TenantRateLimits``). A `nil` limit is no limit.
public struct RateLimitPolicy: Sendable, Equatable {
    /// Origin-bound requests (misses, passes, revalidations) per client address.
    public var perClient: RateLimit?
    /// Origin-bound requests of the whole tenant at this edge.
    public var perTenant: RateLimit?
    /// Whether cache hits count towards both too.
    public var countCacheHits: Bool
    /// Failed logins (401 or 403 to a request with credentials) per client address.
    public var failedLogins: RateLimit?

    public init(perClient: RateLimit?, perTenant: RateLimit?, countCacheHits: Bool, failedLogins: RateLimit?) {
        self.perClient = perClient
        self.perTenant = perTenant
        self.countCacheHits = countCacheHits
        self.failedLogins = failedLogins
    }

    /// No limit at all.
    public static let none = RateLimitPolicy(perClient: nil, perTenant: nil, countCacheHits: false, failedLogins: nil)

    /// The tenant's settings over these defaults.
    public func overridden(by tenant: TenantRateLimits?) -> RateLimitPolicy {
        guard let tenant else { return self }
        return RateLimitPolicy(
            perClient: tenant.perClient ?? perClient,
            perTenant: tenant.perTenant ?? perTenant,
            countCacheHits: tenant.countCacheHits ?? countCacheHits,
            failedLogins: tenant.failedLogins ?? failedLogins
        )
    }
}
