/// Header names shared by the edge and the origin (lower-case, as HTTP/2 sends them).
public enum StorefrontHeader {
    /// The tenant a response was produced for (origin → edge), and the tenant the edge resolved (edge → origin).
    /// Clients may never set it: the edge overwrites it.
    public static let tenant = "x-storefront-tenant"
    /// Space-separated purge tags of a response.
    public static let surrogateKey = "surrogate-key"
    /// The edge's cache result: `HIT`, `MISS`, `PASS` or `STALE` (a stored copy past its freshness).
    public static let cacheStatus = "x-cache"
    /// The bearer token header of internal APIs (origin's tenant directory).
    public static let internalToken = "x-internal-token"
    /// The secret that exempts a request from the edge's rate limits (the platform's own clients); never
    /// forwarded to an origin.
    public static let rateExempt = "x-storefront-rate-exempt"
}

/// One storefront as the origin's internal tenant directory publishes it and a static tenant file lists it.
public struct TenantDirectoryEntry: Codable, Sendable, Hashable {
    /// The storefront's normalised domain.
    public var domain: HostName
    /// The tenant the domain belongs to.
    public var tenantID: TenantID
    /// How the edge caches for this tenant; `nil` means the defaults.
    public var edge: TenantEdgeSettings?

    /// - Parameters:
    ///   - domain: the storefront's domain.
    ///   - tenantID: its tenant.
    ///   - edge: its edge cache settings.
    public init(domain: HostName, tenantID: TenantID, edge: TenantEdgeSettings? = nil) {
        self.domain = domain
        self.tenantID = tenantID
        self.edge = edge
    }

    enum CodingKeys: String, CodingKey {
        case domain
        case tenantID = "tenantId"
        case edge
    }
}

/// A tenant's edge cache settings (part of its storefront settings, published to edges with the tenants).
public struct TenantEdgeSettings: Codable, Sendable, Hashable {
    /// Cookie names that do not make a request private (e.g. a consent or A/B cookie that never changes
    /// the page). A request with any other cookie bypasses the cache.
    public var cookieAllowList: [String]
    /// Store responses that set cookies; the stored copy (and every answer from it) carries no `Set-Cookie`.
    public var storeSetCookie: Bool
    /// The tenant's share of the cache budget relative to other tenants.
    public var budgetShare: Double
    /// Heuristic freshness (RFC 9111 §4.2.2) for responses without `s-maxage`, `max-age` or `Expires`;
    /// `nil` (the default): such responses are not stored.
    public var heuristicFreshness: HeuristicFreshness?
    /// `Strict-Transport-Security` sent on the tenant's HTTPS responses; `nil`: none.
    public var hsts: HSTSPolicy?
    /// TLS is terminated in front of the edge for this tenant: its requests on the plain HTTP listener are
    /// served, not redirected to HTTPS.
    public var plainHTTP: Bool
    /// How long past its freshness a stored response without its own `stale-if-error` may be served
    /// (`X-Cache: STALE`) when the origins fail (unreachable, timed out or answering 5xx); 0 turns the
    /// grace off. A response's `must-revalidate`, `proxy-revalidate` or `no-cache` still forbids it.
    /// Default one day; the edge keeps stored objects that long past freshness (within its byte budget).
    public var staleIfErrorSeconds: Int
    /// Request fields the edge otherwise removes as overrides of host, scheme, port, method or URL
    /// (`X-Forwarded-Prefix`, `X-Original-URL`, …) that this tenant's origin really needs from clients,
    /// matched without regard to case. A request carrying one passes the cache (it is outside the key), so
    /// no stored answer is ever built from it. The fields the edge sets itself (`Host`, `X-Forwarded-*`,
    /// `Forwarded`, the tenant) cannot be allow-listed. Default none; at most 20.
    public var forwardRequestHeaders: [String]
    /// Request rate limits where this tenant's differ from the edge's defaults; `nil`: the defaults.
    public var rateLimits: TenantRateLimits?
    /// Request header limits where this tenant's differ from the edge's (larger cookies, say), on its HTTPS
    /// connections (chosen by SNI, before any byte of HTTP); `nil`: the edge's.
    public var requestHeaderLimits: RequestHeaderLimits?

    public init(
        cookieAllowList: [String] = [],
        storeSetCookie: Bool = false,
        budgetShare: Double = 1,
        heuristicFreshness: HeuristicFreshness? = nil,
        hsts: HSTSPolicy? = nil,
        plainHTTP: Bool = false,
        staleIfErrorSeconds: Int = 86_400,
        forwardRequestHeaders: [String] = [],
        rateLimits: TenantRateLimits? = nil,
        requestHeaderLimits: RequestHeaderLimits? = nil
    ) {
        self.cookieAllowList = cookieAllowList
        self.storeSetCookie = storeSetCookie
        self.budgetShare = budgetShare
        self.heuristicFreshness = heuristicFreshness
        self.hsts = hsts
        self.plainHTTP = plainHTTP
        self.staleIfErrorSeconds = staleIfErrorSeconds
        self.forwardRequestHeaders = forwardRequestHeaders.map { $0.lowercased() }
        self.rateLimits = rateLimits
        self.requestHeaderLimits = requestHeaderLimits
    }

    enum CodingKeys: String, CodingKey {
        case cookieAllowList, storeSetCookie, budgetShare, heuristicFreshness, hsts, plainHTTP, staleIfErrorSeconds, forwardRequestHeaders
        case rateLimits, requestHeaderLimits
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cookieAllowList = try container.decodeIfPresent([String].self, forKey: .cookieAllowList) ?? []
        storeSetCookie = try container.decodeIfPresent(Bool.self, forKey: .storeSetCookie) ?? false
        budgetShare = try container.decodeIfPresent(Double.self, forKey: .budgetShare) ?? 1
        heuristicFreshness = try container.decodeIfPresent(HeuristicFreshness.self, forKey: .heuristicFreshness)
        hsts = try container.decodeIfPresent(HSTSPolicy.self, forKey: .hsts)
        plainHTTP = try container.decodeIfPresent(Bool.self, forKey: .plainHTTP) ?? false
        staleIfErrorSeconds = try container.decodeIfPresent(Int.self, forKey: .staleIfErrorSeconds) ?? 86_400
        forwardRequestHeaders = (try container.decodeIfPresent([String].self, forKey: .forwardRequestHeaders) ?? []).map { $0.lowercased() }
        rateLimits = try container.decodeIfPresent(TenantRateLimits.self, forKey: .rateLimits)
        requestHeaderLimits = try container.decodeIfPresent(RequestHeaderLimits.self, forKey: .requestHeaderLimits)
        guard requestHeaderLimits?.isValid ?? true else {
            throw DecodingError.dataCorruptedError(
                forKey: .requestHeaderLimits,
                in: container,
                debugDescription:
                    "requestHeaderLimits: maximumFieldSize in [1024, 65536], maximumListSize in [4096, 262144], not below the field size"
            )
        }
        guard rateLimits?.isValid ?? true else {
            throw DecodingError.dataCorruptedError(
                forKey: .rateLimits,
                in: container,
                debugDescription: "rateLimits: perSecond must be positive and burst in [1, 1000000]"
            )
        }
        guard forwardRequestHeaders.count <= 20 else {
            throw DecodingError.dataCorruptedError(
                forKey: .forwardRequestHeaders,
                in: container,
                debugDescription: "at most 20 forwardRequestHeaders"
            )
        }
        guard (0...(365 * 86_400)).contains(staleIfErrorSeconds) else {
            throw DecodingError.dataCorruptedError(
                forKey: .staleIfErrorSeconds,
                in: container,
                debugDescription: "staleIfErrorSeconds must be in [0, one year]"
            )
        }
        guard budgetShare > 0, budgetShare <= 1000, cookieAllowList.count <= 50 else {
            throw DecodingError.dataCorruptedError(
                forKey: .budgetShare,
                in: container,
                debugDescription: "budgetShare must be in (0, 1000], at most 50 cookies"
            )
        }
    }
}

/// How long a tenant lets the edge consider a response without explicit freshness fresh.
///
/// With `Last-Modified`: `lastModifiedFraction` of the time between `Last-Modified` and `Date` (RFC 9111
/// §4.2.2 suggests 10%); without it: `defaultSeconds` (0: not stored). Never more than `maximumSeconds`.
public struct HeuristicFreshness: Codable, Sendable, Hashable {
    public var lastModifiedFraction: Double
    public var defaultSeconds: Int
    public var maximumSeconds: Int

    public init(lastModifiedFraction: Double = 0.1, defaultSeconds: Int = 0, maximumSeconds: Int = 86_400) {
        self.lastModifiedFraction = lastModifiedFraction
        self.defaultSeconds = defaultSeconds
        self.maximumSeconds = maximumSeconds
    }

    enum CodingKeys: String, CodingKey { case lastModifiedFraction, defaultSeconds, maximumSeconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lastModifiedFraction = try container.decodeIfPresent(Double.self, forKey: .lastModifiedFraction) ?? 0.1
        defaultSeconds = try container.decodeIfPresent(Int.self, forKey: .defaultSeconds) ?? 0
        maximumSeconds = try container.decodeIfPresent(Int.self, forKey: .maximumSeconds) ?? 86_400
        let year = 365 * 86_400
        guard (0...1).contains(lastModifiedFraction), (0...year).contains(defaultSeconds), (0...year).contains(maximumSeconds)
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .lastModifiedFraction,
                in: container,
                debugDescription: "lastModifiedFraction must be in [0, 1], defaultSeconds and maximumSeconds in [0, one year]"
            )
        }
    }
}

/// HTTP Strict Transport Security for a tenant (RFC 6797).
public struct HSTSPolicy: Codable, Sendable, Hashable {
    public var maxAge: Int
    public var includeSubDomains: Bool
    public var preload: Bool

    public init(maxAge: Int = 31_536_000, includeSubDomains: Bool = false, preload: Bool = false) {
        self.maxAge = maxAge
        self.includeSubDomains = includeSubDomains
        self.preload = preload
    }

    enum CodingKeys: String, CodingKey { case maxAge, includeSubDomains, preload }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxAge = try container.decodeIfPresent(Int.self, forKey: .maxAge) ?? 31_536_000
        includeSubDomains = try container.decodeIfPresent(Bool.self, forKey: .includeSubDomains) ?? false
        preload = try container.decodeIfPresent(Bool.self, forKey: .preload) ?? false
        guard (0...(2 * 31_536_000)).contains(maxAge) else {
            throw DecodingError.dataCorruptedError(forKey: .maxAge, in: container, debugDescription: "maxAge must be in [0, two years]")
        }
    }

    /// The header value.
    public var headerValue: String {
        "max-age=\(maxAge)" + (includeSubDomains ? "; includeSubDomains" : "") + (preload ? "; preload" : "")
    }
}
