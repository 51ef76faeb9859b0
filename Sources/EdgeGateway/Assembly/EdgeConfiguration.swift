import EdgeCore
import NIOCore

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
    /// How long an expired response with a validator stays stored, to be revalidated (`If-None-Match`)
    /// instead of fetched again in full.
    public var revalidationGraceSeconds = 3600
    /// How long an origin has to answer.
    public var originTimeout: TimeAmount = .seconds(10)
    /// The clock of every time-based decision (freshness, ages, ejection); tests pass a ``ManualEdgeClock``.
    public var clock: any EdgeClock = SystemEdgeClock()

    /// - Parameter origins: the origin instances misses go to.
    public init(origins: [HTTPEndpoint]) {
        self.origins = origins
    }
}
