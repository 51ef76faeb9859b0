import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Where an HTTP/1.1 request goes: a host and port, and for TLS the server name to send as SNI.
public struct HTTPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The SNI name for a TLS connection; `nil` for plain HTTP.
    public var tlsServerName: String?

    public init(host: String, port: Int, tlsServerName: String? = nil) {
        self.host = host
        self.port = port
        self.tlsServerName = tlsServerName
    }

    /// Parses `host:port`.
    public init?(parsing text: some StringProtocol) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        self.init(host: String(text[..<colon]), port: port)
    }

    public var description: String { "\(host):\(port)" }
}

/// An HTTP response from an upstream: complete in `body`, or, when it was too large to buffer, a `stream`
/// of its body (then `body` is empty).
public struct HTTPClientResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: ByteBuffer
    /// The body, still arriving; `nil` when `body` holds all of it.
    public var stream: UpstreamBodyStream?

    public init(head: HTTPResponseHead, body: ByteBuffer, stream: UpstreamBodyStream? = nil) {
        self.head = head
        self.body = body
        self.stream = stream
    }
}

/// Why an upstream request failed.
public enum HTTPClientError: Error, Equatable, Sendable {
    /// The connection closed before a complete response; `beforeResponse` when not a byte of it arrived.
    case connectionClosed(beforeResponse: Bool)
    /// No complete response before the deadline.
    case timeout
    /// The response body exceeded the configured limit.
    case responseTooLarge
    /// A streamed body stopped arriving for longer than the idle timeout.
    case bodyStalled
}

/// A small HTTP/1.1 client with keep-alive connections, one idle pool per event loop.
///
/// Requests run on the caller's event loop, and the returned future completes there: the edge's miss path
/// never leaves its loop and takes no lock. A request on a reused connection that closes before any response
/// byte (the usual keep-alive race) is retried once on a new connection if its method is idempotent.
public final class HTTP1Client: Sendable {
    /// Limits and timeouts.
    public struct Configuration: Sendable {
        public var connectTimeout: TimeAmount = .seconds(2)
        public var maximumResponseBodySize = 64 * 1024 * 1024
        public var maximumIdleConnectionsPerEndpoint = 64
        /// A streamed body that gets no bytes for this long (while its consumer reads) fails with
        /// ``HTTPClientError/bodyStalled``.
        public var streamIdleTimeout: TimeAmount = .seconds(30)
        /// TLS settings for endpoints with a server name.
        public var tls: TLSConfiguration = .makeClientConfiguration()

        public init() {}
    }

    private let group: any EventLoopGroup
    private let pools: [ObjectIdentifier: LoopPool]
    private let configuration: Configuration
    private let sslContext: NIOSSLContext

    /// - Parameters:
    ///   - group: the event loops requests run on.
    ///   - configuration: limits, timeouts and TLS settings.
    public init(group: any EventLoopGroup, configuration: Configuration = .init()) throws {
        self.group = group
        self.configuration = configuration
        self.sslContext = try NIOSSLContext(configuration: configuration.tls)
        var pools: [ObjectIdentifier: LoopPool] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = LoopPool(eventLoop: loop, maximumIdle: configuration.maximumIdleConnectionsPerEndpoint)
        }
        self.pools = pools
    }

    /// Sends one request and collects the whole response.
    /// - Parameters:
    ///   - head: the request head; its `host` header is sent as given.
    ///   - body: the request body, if any.
    ///   - endpoint: where to send it.
    ///   - eventLoop: the loop to run on (the caller's, to avoid hops).
    ///   - deadline: when the response head (and a buffered body) must have arrived.
    ///   - streamAbove: a body larger than this many bytes is not buffered: the response completes with an
    ///     ``UpstreamBodyStream`` as soon as that is known (from `Content-Length`, or once that many bytes
    ///     arrived). `nil` buffers every body up to the configured maximum.
    public func execute(
        _ head: HTTPRequestHead,
        body: ByteBuffer? = nil,
        to endpoint: HTTPEndpoint,
        on eventLoop: any EventLoop,
        deadline: NIODeadline,
        streamAbove: Int? = nil
    ) -> EventLoopFuture<HTTPClientResponse> {
        guard let pool = pools[ObjectIdentifier(eventLoop)] else {
            // Not one of our loops (background callers): run on one of ours, buffered, since a stream's
            // events would arrive on that other loop.
            let loop = group.next()
            return loop.flatSubmit { self.execute(head, body: body, to: endpoint, on: loop, deadline: deadline) }
                .hop(to: eventLoop)
        }
        guard eventLoop.inEventLoop else {
            return eventLoop.flatSubmit {
                self.execute(head, body: body, to: endpoint, on: eventLoop, deadline: deadline, streamAbove: streamAbove)
            }
        }
        let idempotent = head.method == .GET || head.method == .HEAD || head.method == .OPTIONS
        let request = UpstreamRequest(
            head: head,
            body: body,
            deadline: deadline,
            streamAbove: streamAbove,
            idleTimeout: configuration.streamIdleTimeout
        )
        return attempt(request, endpoint: endpoint, pool: pool, mayRetry: idempotent)
    }

    private func attempt(
        _ request: UpstreamRequest,
        endpoint: HTTPEndpoint,
        pool: LoopPool,
        mayRetry: Bool
    ) -> EventLoopFuture<HTTPClientResponse> {
        let loop = pool.eventLoop
        let connection: EventLoopFuture<(Channel, reused: Bool)>
        // The retry goes on a new connection: other idle ones to the same server are likely just as stale
        // (a server restarting closes them all at once).
        if mayRetry, let idle = pool.takeIdle(for: endpoint) {
            connection = loop.makeSucceededFuture((idle, true))
        } else {
            connection = connect(to: endpoint, on: loop, deadline: request.deadline).map { ($0, false) }
        }
        return connection.flatMap { channel, reused in
            let promise = loop.makePromise(of: HTTPClientResponse.self)
            let handler: UpstreamResponseHandler
            do {
                handler = try channel.pipeline.syncOperations.handler(type: UpstreamResponseHandler.self)
            } catch {
                channel.close(promise: nil)
                return loop.makeFailedFuture(error)
            }
            handler.send(request, promise: promise) { reusable in
                if reusable { pool.putIdle(channel, for: endpoint) } else { channel.close(promise: nil) }
            }
            return promise.futureResult.flatMapError { error in
                if reused, mayRetry, error as? HTTPClientError == .connectionClosed(beforeResponse: true) {
                    return self.attempt(request, endpoint: endpoint, pool: pool, mayRetry: false)
                }
                return loop.makeFailedFuture(error)
            }
        }
    }

    private func connect(to endpoint: HTTPEndpoint, on loop: any EventLoop, deadline: NIODeadline) -> EventLoopFuture<Channel> {
        let maximumBody = configuration.maximumResponseBodySize
        let sslContext = self.sslContext
        let connectTimeout = min(configuration.connectTimeout, deadline - .now())
        return ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let serverName = endpoint.tlsServerName {
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(UpstreamResponseHandler(maximumBodySize: maximumBody))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
    }
}

/// Idle keep-alive connections of one event loop. Only touched on that loop.
final class LoopPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let maximumIdle: Int
    private var idle: [HTTPEndpoint: [Channel]] = [:]

    init(eventLoop: any EventLoop, maximumIdle: Int) {
        self.eventLoop = eventLoop
        self.maximumIdle = maximumIdle
    }

    func takeIdle(for endpoint: HTTPEndpoint) -> Channel? {
        eventLoop.preconditionInEventLoop()
        while let channel = idle[endpoint]?.popLast() {
            if channel.isActive { return channel }
        }
        return nil
    }

    func putIdle(_ channel: Channel, for endpoint: HTTPEndpoint) {
        eventLoop.preconditionInEventLoop()
        guard channel.isActive, idle[endpoint, default: []].count < maximumIdle else {
            channel.close(promise: nil)
            return
        }
        idle[endpoint, default: []].append(channel)
    }
}
