import ArgumentParser
import EdgeGateway
import NIOCore

/// The front door's limits and timeouts (``FrontDoorLimits``), each a flag with an environment variable;
/// the defaults are ``FrontDoorLimits``'s. Listed in `docs/security.md`, "Limits and timeouts".
struct LimitOptions: ParsableArguments {
    @Option(help: "Longest request line in bytes, else 414 (env EDGE_MAX_REQUEST_LINE).")
    var maxRequestLine = Int(env("EDGE_MAX_REQUEST_LINE", "8192"))!
    @Option(help: "Largest single header field in bytes, else 431 (env EDGE_MAX_HEADER_SIZE).")
    var maxHeaderSize = Int(env("EDGE_MAX_HEADER_SIZE", "8192"))!
    @Option(help: "Largest request head (all header fields) in bytes, else 431 (env EDGE_MAX_HEADERS_SIZE).")
    var maxHeadersSize = Int(env("EDGE_MAX_HEADERS_SIZE", "32768"))!
    @Option(help: "Most header fields in a request, else 431 (env EDGE_MAX_HEADER_COUNT).")
    var maxHeaderCount = Int(env("EDGE_MAX_HEADER_COUNT", "100"))!
    @Option(help: "Largest request body in bytes, else 413, from the declared length (env EDGE_MAX_BODY_SIZE).")
    var maxBodySize = Int(env("EDGE_MAX_BODY_SIZE", "1048576"))!
    @Option(help: "Seconds from accept to HTTP: SNI, TLS handshake, ALPN (env EDGE_HANDSHAKE_TIMEOUT).")
    var handshakeTimeout = Int(env("EDGE_HANDSHAKE_TIMEOUT", "10"))!
    @Option(help: "Seconds from the handshake to the first request (env EDGE_FIRST_REQUEST_TIMEOUT).")
    var firstRequestTimeout = Int(env("EDGE_FIRST_REQUEST_TIMEOUT", "10"))!
    @Option(help: "Seconds from a request's first byte to the end of its head, else 408 (env EDGE_HEAD_TIMEOUT).")
    var headTimeout = Int(env("EDGE_HEAD_TIMEOUT", "10"))!
    @Option(help: "Longest pause in seconds inside a request body, else 408 (env EDGE_BODY_IDLE_TIMEOUT).")
    var bodyIdleTimeout = Int(env("EDGE_BODY_IDLE_TIMEOUT", "30"))!
    @Option(help: "Slowest request body in bytes per second, averaged over --body-rate-window; 0 = off (env EDGE_BODY_MIN_RATE).")
    var bodyMinRate = Int(env("EDGE_BODY_MIN_RATE", "1024"))!
    @Option(help: "Seconds over which the body rate is measured (env EDGE_BODY_RATE_WINDOW).")
    var bodyRateWindow = Int(env("EDGE_BODY_RATE_WINDOW", "10"))!
    @Option(help: "Seconds an idle keep-alive connection stays open (env EDGE_KEEPALIVE_TIMEOUT).")
    var keepaliveTimeout = Int(env("EDGE_KEEPALIVE_TIMEOUT", "60"))!
    @Option(help: "Seconds a client may read nothing of a response, its socket full (env EDGE_SEND_TIMEOUT).")
    var sendTimeout = Int(env("EDGE_SEND_TIMEOUT", "30"))!
    @Option(help: "Most open connections overall; 0 = no cap (env EDGE_MAX_CONNECTIONS).")
    var maxConnections = Int(env("EDGE_MAX_CONNECTIONS", "16384"))!
    @Option(help: "Most open connections from one client address; 0 = no cap (env EDGE_MAX_CONNECTIONS_PER_ADDRESS).")
    var maxConnectionsPerAddress = Int(env("EDGE_MAX_CONNECTIONS_PER_ADDRESS", "256"))!

    @Option(help: "HTTP/2 streams a client may have open at once (env EDGE_H2_MAX_STREAMS).")
    var h2MaxStreams = Int(env("EDGE_H2_MAX_STREAMS", "128"))!
    @Option(help: "HTTP/2 RST_STREAM, control frames or stream errors per --h2-flood-window before GOAWAY (env EDGE_H2_FLOOD_LIMIT).")
    var h2FloodLimit = Int(env("EDGE_H2_FLOOD_LIMIT", "200"))!
    @Option(help: "Seconds over which HTTP/2 floods are counted (env EDGE_H2_FLOOD_WINDOW).")
    var h2FloodWindow = Int(env("EDGE_H2_FLOOD_WINDOW", "30"))!

    func validate() throws {
        guard h2MaxStreams >= 1, h2FloodLimit >= 1, h2FloodWindow >= 1 else {
            throw ValidationError("--h2-max-streams, --h2-flood-limit and --h2-flood-window must be at least 1")
        }
        let sizes = [maxRequestLine, maxHeaderSize, maxHeadersSize, maxHeaderCount, maxBodySize]
        guard sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("request line, header and body limits must be at least 1") }
        let timeouts = [handshakeTimeout, firstRequestTimeout, headTimeout, bodyIdleTimeout, bodyRateWindow, keepaliveTimeout, sendTimeout]
        guard timeouts.allSatisfy({ $0 > 0 }) else { throw ValidationError("timeouts must be at least 1 second") }
        guard bodyMinRate >= 0, maxConnections >= 0, maxConnectionsPerAddress >= 0 else {
            throw ValidationError("--body-min-rate and the connection caps must not be negative")
        }
    }

    /// Sets the limits of `configuration`.
    func apply(to configuration: inout EdgeConfiguration) {
        configuration.maximumRequestBodySize = maxBodySize
        var limits = configuration.limits
        limits.maximumRequestLineLength = maxRequestLine
        limits.maximumHeaderFieldSize = maxHeaderSize
        limits.maximumHeaderListSize = maxHeadersSize
        limits.maximumHeaderCount = maxHeaderCount
        limits.handshakeTimeout = .seconds(Int64(handshakeTimeout))
        limits.firstRequestTimeout = .seconds(Int64(firstRequestTimeout))
        limits.requestHeadTimeout = .seconds(Int64(headTimeout))
        limits.requestBodyIdleTimeout = .seconds(Int64(bodyIdleTimeout))
        limits.requestBodyRateWindow = .seconds(Int64(bodyRateWindow))
        limits.minimumRequestBodyBytesPerWindow = bodyMinRate * bodyRateWindow
        limits.keepAliveIdleTimeout = .seconds(Int64(keepaliveTimeout))
        limits.slowReadTimeout = .seconds(Int64(sendTimeout))
        limits.maximumConnections = maxConnections
        limits.maximumConnectionsPerAddress = maxConnectionsPerAddress
        limits.http2MaximumConcurrentStreams = h2MaxStreams
        limits.http2FloodLimit = h2FloodLimit
        limits.http2FloodWindow = .seconds(Int64(h2FloodWindow))
        configuration.limits = limits
    }
}
