import EdgeCore
import NIOCore
import Shared

/// Everything an edge instance needs to run. Defaults suit the local dev stack.
public struct EdgeConfiguration: Sendable {
    /// The address the public listeners bind to.
    public var bindHost = "127.0.0.1"
    /// The HTTPS listener's port (0 picks a free one).
    public var httpsPort = 8443
    /// The plain HTTP listener's port, which redirects to HTTPS; `nil` disables it.
    public var httpPort: Int? = 8080
    /// The HTTPS port clients use, for redirects (behind a load balancer it differs from ``httpsPort``);
    /// `nil` means the bound HTTPS port.
    public var publicHTTPSPort: Int?
    /// The origin instances misses go to.
    public var origins: [HTTPEndpoint]
    /// The cache's byte budget for stored responses.
    public var cacheByteBudget = 256 * 1024 * 1024
    /// Responses larger than this are passed through, never stored.
    public var maximumStoredObjectSize = 8 * 1024 * 1024
    /// Request bodies larger than this are refused with 413.
    public var maximumRequestBodySize = 1024 * 1024
    /// Where the access log goes (one JSON line per request); `nil` turns it off.
    public var accessLog: AccessLog.Destination?
    /// Request line, header and timeout limits of the HTTP/1 front door.
    public var limits = FrontDoorLimits()
    /// Query parameters dropped from cache keys and origin requests (names, or prefixes ending in `*`).
    public var trackingParameters = RequestTarget.defaultTrackingParameters
    /// Only origin responses stamped with the tenant (`X-Storefront-Tenant`) are stored; unstamped ones are
    /// served and counted (`storefront_edge_unstamped_responses_total`). On in production mode unless
    /// `--lenient-tenant-stamp`, for origins that cannot stamp.
    public var requireTenantStamp = false
    /// How long an expired response with a validator stays stored, to be revalidated (`If-None-Match`)
    /// instead of fetched again in full.
    public var revalidationGraceSeconds = 3600
    /// How long an origin has to answer.
    public var originTimeout: TimeAmount = .seconds(10)
    /// When an origin is taken out of rotation: failures that count (connect errors, resets, timeouts; statuses
    /// only if listed), ejection times, and the panic threshold below which every origin is used again.
    public var originPolicy = OriginBalancer<HTTPEndpoint>.Policy()
    /// The clock of every time-based decision (freshness, ages, ejection); tests pass a ``ManualEdgeClock``.
    public var clock: any EdgeClock = SystemEdgeClock()

    // What the assembly (``EdgeAssembly``) builds around the server.

    /// Where the origins come from while the edge runs: `nil` keeps ``origins``; a file or a DNS name is read
    /// once at start (replacing ``origins``) and again every 2 s.
    public var originDiscovery: OriginDiscoveryService.Source?
    /// The active health check of every origin (path, interval, expected status, Host); `nil` turns it off
    /// (passive ejection only).
    public var originHealthCheck: OriginHealthService.Check? = OriginHealthService.Check()
    /// Request rate limits every tenant gets unless its settings say otherwise (``TenantRateLimits``):
    /// origin-bound requests per client address 50/s (burst 500), no per-tenant limit, cache hits not
    /// counted, failed logins per client address 10 at once then one a minute.
    public var rateLimits = RateLimitPolicy(
        perClient: RateLimit(perSecond: 50, burst: 500),
        perTenant: nil,
        countCacheHits: false,
        failedLogins: RateLimit(perSecond: 1.0 / 60, burst: 10)
    )
    /// A secret that exempts a request from every rate limit when it carries it in `X-Storefront-Rate-Exempt`
    /// (the platform's own clients: other edges of the fleet, synthetic monitors, cache warmers); `nil`: no
    /// exemption. The field is never forwarded.
    public var rateExemptToken: String?
    /// Proxies in front of the edge whose `X-Forwarded-For` names the client (for rate limits and the
    /// forwarded client address); none by default: the client is the TCP peer.
    public var trustedProxies = TrustedProxies()
    /// Where the tenant directory comes from.
    public var tenants: Tenants = .origin([HTTPEndpoint(host: "127.0.0.1", port: 9081), HTTPEndpoint(host: "127.0.0.1", port: 9082)])
    /// The token of the origins' internal API (`GET /internal/tenants`).
    public var internalToken = "dev-internal-token"
    /// The folder with `<domain>/tls.crt` and `<domain>/tls.key`.
    public var certificateDirectory = ".state/certs"
    /// The time between full tenant refreshes (the safety net behind tenant-change events).
    public var tenantRefreshInterval: Duration = .seconds(5)
    /// The time between looks for new or renewed certificates.
    public var certificateReloadInterval: Duration = .seconds(2)
    /// The Redis server of tenant-change and purge events; `nil` listens to none.
    public var redis: HTTPEndpoint? = HTTPEndpoint(host: "127.0.0.1", port: 56379)
    /// The admin listener (`/health`, `/metrics`, `POST /purge`); `nil` turns it off.
    public var admin: AdminListener? = AdminListener()
    /// Event loop threads; 0 shares NIO's singleton group (one loop per core).
    public var eventLoopThreads = 0
    /// How long a graceful shutdown (SIGTERM) waits for the requests in flight.
    public var drainTimeout: TimeAmount = .seconds(25)

    /// - Parameter origins: the origin instances misses go to.
    public init(origins: [HTTPEndpoint]) {
        self.origins = origins
    }
}
