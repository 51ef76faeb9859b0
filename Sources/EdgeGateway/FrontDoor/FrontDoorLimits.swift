import NIOCore
import NIOHTTP1
import Shared

/// Limits and timeouts of the public front door (HTTP/1, and the HTTPS listener's way to HTTP). The size
/// defaults are those of the trusted proxies (nginx's 8 KB header line, Varnish's 8 KB field and 32 KB
/// request head).
public struct FrontDoorLimits: Sendable {
    /// A request line longer than this is answered 414.
    public var maximumRequestLineLength = 8 * 1024
    /// One header field (name and value) longer than this is answered 431.
    public var maximumHeaderFieldSize = 8 * 1024
    /// All header fields of a request together larger than this are answered 431.
    public var maximumHeaderListSize = 32 * 1024
    /// More header fields than this are answered 431.
    public var maximumHeaderCount = 100
    /// From a request's first byte to the end of its head (slowloris): past it, 408 and close.
    public var requestHeadTimeout: TimeAmount = .seconds(10)
    /// The longest pause between bytes of a request body: past it, 408 and close.
    public var requestBodyIdleTimeout: TimeAmount = .seconds(30)
    /// A request body must bring at least this many bytes in every ``requestBodyRateWindow`` (a body dripped
    /// a byte a second stays under the idle timeout): below it, 408 and close. 0 turns the check off.
    public var minimumRequestBodyBytesPerWindow = 10 * 1024
    /// The window of ``minimumRequestBodyBytesPerWindow`` (together: under 1 KB/s over 10 s is cut).
    public var requestBodyRateWindow: TimeAmount = .seconds(10)
    /// From the handshake (HTTP reached) to the first byte of the first request: past it, the connection
    /// closes without an answer (the keep-alive idle timeout applies between requests; the shorter of the
    /// two before the first).
    public var firstRequestTimeout: TimeAmount = .seconds(10)
    /// A keep-alive connection with no request for this long is closed.
    public var keepAliveIdleTimeout: TimeAmount = .seconds(60)
    /// A client that reads nothing of a response for this long (its socket buffer full) is cut off.
    public var slowReadTimeout: TimeAmount = .seconds(30)
    /// From accept to HTTP on the HTTPS listener (SNI, TLS handshake, ALPN): past it, the connection closes.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Once a drain began, the most a connection still short of HTTP has left (a handshake in progress
    /// completes; an idle connection does not hold the shutdown until the drain timeout).
    public var handshakeTimeoutWhileDraining: TimeAmount = .seconds(2)
    /// Open connections of both public listeners together; above it a new one is refused (closed at once on
    /// HTTPS, `503` with `Connection: close` on plain HTTP). 0 means no cap.
    public var maximumConnections = 16_384
    /// Open connections from one client address (the TCP peer); above it refused like
    /// ``maximumConnections``. 0 means no cap.
    public var maximumConnectionsPerAddress = 256

    /// HTTP/2: streams a client may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`).
    public var http2MaximumConcurrentStreams = 128
    /// HTTP/2 floods: more than this many RST_STREAM frames, control frames (SETTINGS, PING, PRIORITY) or
    /// stream errors caused by the client in ``http2FloodWindow`` end the connection (GOAWAY).
    public var http2FloodLimit = 200
    /// The window of ``http2FloodLimit``.
    public var http2FloodWindow: TimeAmount = .seconds(30)

    public init() {}

    /// These limits with a tenant's header limits in place of the edge's (``RequestHeaderLimits``).
    func overridden(by tenant: RequestHeaderLimits?) -> FrontDoorLimits {
        guard let tenant else { return self }
        var limits = self
        if let field = tenant.maximumFieldSize { limits.maximumHeaderFieldSize = field }
        if let list = tenant.maximumListSize { limits.maximumHeaderListSize = list }
        return limits
    }

    var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maximumHeaderFieldSize
        limits.maxHeaderListSize = maximumHeaderListSize
        limits.maxHeaderFieldCount = maximumHeaderCount
        return limits
    }
}
