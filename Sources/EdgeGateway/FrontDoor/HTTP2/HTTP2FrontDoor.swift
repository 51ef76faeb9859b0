import Logging
import NIOCore
import NIOHTTP2
import Shared

/// The HTTP/2 connection of the front door: the settings announced, the flood and stream-state protections
/// of NIO's HTTP/2 handler, and the handlers between it and the stream multiplexer.
///
/// Pipeline (after TLS): NIOHTTP2Handler → ``HTTP2ConnectionLifecycle`` (drain, idle, send progress, flow-control
/// stall) → ``HTTP2HitHandler`` → stream multiplexer → ``HTTP2ConnectionErrorCloser``; each stream channel:
/// HTTP/2-to-HTTP/1 codec → ``HTTP2ResponseFields`` → ``EdgeHTTPHandler``.
enum HTTP2FrontDoor {
    /// The limits announced to clients: at most `--h2-max-streams` (128) concurrent streams, the header list size of HTTP/1 on
    /// the connection's tenant (`SETTINGS_MAX_HEADER_LIST_SIZE`, 32 KiB unless the tenant set its own; NIO
    /// enforces it once the client acknowledged the settings, a larger header block is a connection error),
    /// a 1 MiB stream window (large pages without waiting for WINDOW_UPDATE), 16 KiB frames.
    static func settings(_ limits: FrontDoorLimits) -> HTTP2Settings {
        [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: limits.http2MaximumConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: limits.maximumHeaderListSize),
            HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20),
            HTTP2Setting(parameter: .maxFrameSize, value: 1 << 14),
        ]
    }

    /// The connection's protections (each answered with GOAWAY and the connection closed):
    /// - rapid reset (CVE-2023-44487): more than 200 RST_STREAM frames from the client in 30 s (the flood
    ///   limit and window of ``FrontDoorLimits``, as the other floods here);
    /// - CONTINUATION flood (CVE-2024-27316): more than 5 CONTINUATION frames in a row, or a header block
    ///   larger than `maximumHeaderListSize`;
    /// - SETTINGS, PING, PRIORITY floods: more than 200 of them in 30 s;
    /// - streams the client keeps causing errors on: more than 200 stream errors in 30 s, or 200 in all;
    /// - empty DATA frames: more than 1 in a row; more than 10 000 control frames waiting to be written
    ///   (a client that sends PINGs and does not read).
    /// Stream-state errors (frames on idle or closed streams, bad stream ids: RFC 9113 §5.1, §5.1.1) are
    /// answered by NIO's state machine with the connection or stream error the RFC names.
    static func connectionConfiguration(_ limits: FrontDoorLimits) -> NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = settings(limits)
        configuration.maximumSequentialContinuationFrames = 5
        configuration.maximumSequentialEmptyDataFrames = 1
        configuration.maximumBufferedControlFrames = 10_000
        configuration.maximumConnectionGlitches = limits.http2FloodLimit
        configuration.controlFrameRateLimit.maximumCount = limits.http2FloodLimit
        configuration.controlFrameRateLimit.windowLength = limits.http2FloodWindow
        return configuration
    }

    static func streamConfiguration(_ limits: FrontDoorLimits) -> NIOHTTP2Handler.StreamConfiguration {
        var configuration = NIOHTTP2Handler.StreamConfiguration()
        configuration.streamResetFrameRateLimit.maximumCount = limits.http2FloodLimit
        configuration.streamResetFrameRateLimit.windowLength = limits.http2FloodWindow
        configuration.streamErrorRateLimit.maximumCount = limits.http2FloodLimit
        configuration.streamErrorRateLimit.windowLength = limits.http2FloodWindow
        return configuration
    }

    /// Sets up HTTP/2 on a connection whose ALPN chose `h2`, bound to `tenant` by SNI.
    static func configure(connection: Channel, runtime: EdgeRuntime, tenant: TenantID) -> EventLoopFuture<Void> {
        connection.eventLoop.makeCompletedFuture {
            let pipeline = connection.pipeline.syncOperations
            let logger = runtime.logger
            let limits = runtime.frontDoorLimits(for: tenant)
            let multiplexer = HTTP2StreamMultiplexer(
                mode: .server,
                channel: connection,
                inboundStreamInitializer: { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                        try stream.pipeline.syncOperations.addHandler(HTTP2ResponseFields(logger: logger))
                        try stream.pipeline.syncOperations.addHandler(EdgeHTTPHandler(runtime: runtime, connectionTenant: tenant))
                    }
                }
            )
            try pipeline.addHandler(
                NIOHTTP2Handler(
                    mode: .server,
                    connectionConfiguration: connectionConfiguration(limits),
                    streamConfiguration: streamConfiguration(limits)
                )
            )
            try pipeline.addHandler(HTTP2ConnectionLifecycle(limits: limits, clock: { runtime.now() }, logger: logger))
            try pipeline.addHandler(HTTP2HitHandler(runtime: runtime, connectionTenant: tenant))
            try pipeline.addHandler(multiplexer)
            try pipeline.addHandler(HTTP2ConnectionErrorCloser(logger: logger))
            HandshakeDeadline.reachedHTTP(on: connection.pipeline)
        }
    }
}

/// Last on an HTTP/2 connection: a connection error (NIO has sent GOAWAY: a flood, a protocol or
/// compression error) closes the connection instead of leaving it open to a client that misbehaved. Stream
/// errors (RST_STREAM sent, the connection goes on) are left alone.
///
/// The output is closed first (TLS close_notify after the GOAWAY) and the connection only ``linger`` later:
/// closed at once, with the flood still arriving, the socket would be reset and the client's kernel would
/// drop the GOAWAY unread.
final class HTTP2ConnectionErrorCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    /// How long a connection that got GOAWAY for an error stays open for the client to read it.
    static let linger: TimeAmount = .seconds(1)

    private let logger: Logger
    private var closing = false

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !(error is NIOHTTP2Errors.StreamError), !closing else { return }
        closing = true
        logger.debug("HTTP/2 connection closed after an error", metadata: ["error": "\(error)"])
        let channel = context.channel
        context.close(mode: .output, promise: nil)
        channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
    }
}
