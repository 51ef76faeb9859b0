import EdgeCore
import Logging
import NIOCore
import NIOHTTP1
import Shared
import Synchronization

/// The long-lived parts every request handler shares: tenants, cache, origin client, configuration.
final class EdgeRuntime: Sendable {
    let configuration: EdgeConfiguration
    let registry: TenantRegistry
    let cache: CacheStore<CachedResponse>
    let coalescer = RequestCoalescer<CoalescedWaiter>()
    let statistics = CacheStatistics()
    let varyIndex = VaryIndex()
    let client: HTTP1Client
    let logger: Logger
    let pool: OriginPool
    let accessLog: AccessLog?
    let metrics = EdgeMetrics()
    let rateLimiter = RateLimiter()
    /// Every time-based decision reads this clock (``EdgeConfiguration/clock``).
    let clock: any EdgeClock

    init(configuration: EdgeConfiguration, registry: TenantRegistry, client: HTTP1Client, accessLog: AccessLog?, logger: Logger) {
        self.accessLog = accessLog
        self.configuration = configuration
        self.registry = registry
        self.cache = CacheStore(byteBudget: configuration.cacheByteBudget)
        self.client = client
        self.logger = logger
        self.clock = configuration.clock
        self.pool = OriginPool(endpoints: configuration.origins, policy: configuration.originPolicy, clock: configuration.clock)
    }

    /// Resumes every request waiting on `key`'s fetch, each on its own event loop.
    func wakeWaiters(_ key: CacheKey, _ outcome: CoalescedOutcome) {
        for waiter in coalescer.finish(key) { waiter.resume(outcome) }
    }

    /// Monotonic now, in nanoseconds, on the edge's clock.
    func now() -> UInt64 { clock.nanoseconds }

    /// The front door's limits on a connection SNI bound to `tenant`: the edge's, with the tenant's header
    /// limits in their place where it has its own.
    func frontDoorLimits(for tenant: TenantID) -> FrontDoorLimits {
        configuration.limits.overridden(by: registry.snapshot.settings(for: tenant).requestHeaderLimits)
    }

    /// The rate limits for a tenant's requests: the edge's defaults under the tenant's own.
    func rateLimits(_ settings: TenantEdgeSettings) -> RateLimitPolicy {
        configuration.rateLimits.overridden(by: settings.rateLimits)
    }

    /// Whether a request carries the fleet's rate-limit exemption (``EdgeConfiguration/rateExemptToken``, in
    /// `X-Storefront-Rate-Exempt`; the edge never forwards the field).
    func isRateExempt(_ headers: HTTPHeaders) -> Bool {
        guard let token = configuration.rateExemptToken, let presented = headers.first(name: StorefrontHeader.rateExempt) else { return false }
        return HTTPComparisons.constantTimeEquals(presented, token)
    }

    /// The client a request comes from: the TCP peer, or the address a trusted proxy forwarded
    /// (``EdgeConfiguration/trustedProxies``).
    func clientAddress(peer: SocketAddress?, headers: HTTPHeaders) -> String {
        let peer = peer?.ipAddress ?? "unknown"
        guard !configuration.trustedProxies.ranges.isEmpty else { return peer }
        return configuration.trustedProxies.clientAddress(peer: peer, forwardedFor: headers["x-forwarded-for"])
    }
}

/// How a request waiting on another request's fetch continues.
enum CoalescedOutcome: Sendable {
    /// The fetched response was stored: serve it.
    case response(CachedResponse, initialAge: Int, receivedAt: UInt64)
    /// The response was one variant (`Vary`) and may not be this request's: look the request up again.
    case lookupAgain
    /// The response may not be shared: fetch your own.
    case fetchYourself
    /// The fetch failed: answer with this error.
    case failed(HTTPResponseStatus, String)
}

/// A request waiting in the ``RequestCoalescer``; `resume` hops to the request's own event loop.
struct CoalescedWaiter: Sendable {
    let resume: @Sendable (CoalescedOutcome) -> Void
}
