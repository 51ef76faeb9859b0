import EdgeCore
import NIOHTTP1
import Shared

/// One request on its way through the pipeline, the same for HTTP/1.1 and HTTP/2: filled in phase by phase
/// (checks, tenant, route, fetch) and read by the last ones (finish, log and count). The cache key is
/// handed from phase to phase with the request, since a `Vary` lookup may change it.
///
/// A value: a request waiting on a coalesced fetch keeps its own copy in its waiter.
struct RequestContext {
    /// The request head; its target is normalised once the checks passed, and stripped of tracking
    /// parameters once routed (the key and the origin request both use it).
    var head: HTTPRequestHead
    /// When the head arrived, on the edge's clock (nanoseconds).
    let started: UInt64
    /// The tenant SNI and Host resolved to; `nil` until then (answers before it name none).
    var tenant: TenantID?
    /// The origin that answered a fetch, and how long it took.
    var origin: HTTPEndpoint?
    var originNanoseconds: UInt64?
    /// Whether the rate limits were applied to this request (once at most, ``EdgeHTTPHandler/admitted``).
    var rateLimitsApplied = false
    /// The tenant counts cache hits towards its rate limits (else only origin-bound requests are counted).
    var countsHits = false
    /// The client address the limits count it under, once known.
    var client: String?
    /// For a request with credentials: the failed-login limit its client is charged under when the origin
    /// refuses them (401 or 403).
    var failedLogins: RateLimit?

    init(head: HTTPRequestHead, started: UInt64) {
        self.head = head
        self.started = started
    }
}
