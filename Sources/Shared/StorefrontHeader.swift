/// Header names shared by the edge and the origin (lower-case, as HTTP/2 sends them).
public enum StorefrontHeader {
    /// The tenant a response was produced for (origin → edge), and the tenant the edge resolved (edge → origin).
    /// Clients may never set it: the edge overwrites it.
    public static let tenant = "x-storefront-tenant"
    /// Space-separated purge tags of a response.
    public static let surrogateKey = "surrogate-key"
    /// The edge's cache result: `HIT`, `MISS` or `PASS`.
    public static let cacheStatus = "x-cache"
    /// The bearer token header of internal APIs (origin's tenant directory).
    public static let internalToken = "x-internal-token"
}

/// One storefront as the origin's internal tenant directory publishes it and a static tenant file lists it.
public struct TenantDirectoryEntry: Codable, Sendable, Hashable {
    /// The storefront's normalised domain.
    public var domain: HostName
    /// The tenant the domain belongs to.
    public var tenantID: TenantID

    /// - Parameters:
    ///   - domain: the storefront's domain.
    ///   - tenantID: its tenant.
    public init(domain: HostName, tenantID: TenantID) {
        self.domain = domain
        self.tenantID = tenantID
    }

    enum CodingKeys: String, CodingKey {
        case domain
        case tenantID = "tenantId"
    }
}
