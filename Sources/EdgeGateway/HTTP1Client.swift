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

/// A complete HTTP response as received from an upstream.
public struct HTTPClientResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: ByteBuffer
}

/// Why an upstream request failed.
public enum HTTPClientError: Error, Equatable, Sendable {
    /// The connection closed before a complete response; `beforeResponse` when not a byte of it arrived.
    case connectionClosed(beforeResponse: Bool)
    /// No complete response before the deadline.
    case timeout
    /// The response body exceeded the configured limit.
    case responseTooLarge
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
    ///   - deadline: when to give up.
    public func execute(
        _ head: HTTPRequestHead,
        body: ByteBuffer? = nil,
        to endpoint: HTTPEndpoint,
        on eventLoop: any EventLoop,
        deadline: NIODeadline
    ) -> EventLoopFuture<HTTPClientResponse> {
        guard let pool = pools[ObjectIdentifier(eventLoop)] else {
            let loop = group.next()
            return loop.flatSubmit { self.execute(head, body: body, to: endpoint, on: loop, deadline: deadline) }
                .hop(to: eventLoop)
        }
        guard eventLoop.inEventLoop else {
            return eventLoop.flatSubmit { self.execute(head, body: body, to: endpoint, on: eventLoop, deadline: deadline) }
        }
        let idempotent = head.method == .GET || head.method == .HEAD || head.method == .OPTIONS
        return attempt(head, body: body, endpoint: endpoint, pool: pool, deadline: deadline, mayRetry: idempotent)
    }

    private func attempt(
        _ head: HTTPRequestHead,
        body: ByteBuffer?,
        endpoint: HTTPEndpoint,
        pool: LoopPool,
        deadline: NIODeadline,
        mayRetry: Bool
    ) -> EventLoopFuture<HTTPClientResponse> {
        let loop = pool.eventLoop
        let connection: EventLoopFuture<(Channel, reused: Bool)>
        if let idle = pool.takeIdle(for: endpoint) {
            connection = loop.makeSucceededFuture((idle, true))
        } else {
            connection = connect(to: endpoint, on: loop, deadline: deadline).map { ($0, false) }
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
            handler.send(head, body: body, deadline: deadline, promise: promise) { reusable in
                if reusable { pool.putIdle(channel, for: endpoint) } else { channel.close(promise: nil) }
            }
            return promise.futureResult.flatMapError { error in
                if reused, mayRetry, error as? HTTPClientError == .connectionClosed(beforeResponse: true) {
                    return self.attempt(head, body: body, endpoint: endpoint, pool: pool, deadline: deadline, mayRetry: false)
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

/// Runs one request at a time on an upstream connection and collects its response.
final class UpstreamResponseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPClientRequestPart

    private struct Pending {
        var promise: EventLoopPromise<HTTPClientResponse>
        var release: (Bool) -> Void
        var head: HTTPResponseHead?
        var body: ByteBuffer?
        var requestKeepAlive: Bool
        var timeout: Scheduled<Void>?
    }

    private let maximumBodySize: Int
    private var pending: Pending?
    private var context: ChannelHandlerContext?

    init(maximumBodySize: Int) {
        self.maximumBodySize = maximumBodySize
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func send(
        _ head: HTTPRequestHead,
        body: ByteBuffer?,
        deadline: NIODeadline,
        promise: EventLoopPromise<HTTPClientResponse>,
        release: @escaping (Bool) -> Void
    ) {
        guard let context, pending == nil, context.channel.isActive else {
            promise.fail(HTTPClientError.connectionClosed(beforeResponse: true))
            release(false)
            return
        }
        var head = head
        if let body {
            head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        }
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.fail(HTTPClientError.timeout, close: true)
        }
        pending = Pending(
            promise: promise,
            release: release,
            requestKeepAlive: head.isKeepAlive,
            timeout: timeout
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard pending != nil else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            pending?.head = head
        case .body(var part):
            if pending?.body == nil {
                pending?.body = part
            } else {
                pending?.body?.writeBuffer(&part)
            }
            if let size = pending?.body?.readableBytes, size > maximumBodySize {
                fail(HTTPClientError.responseTooLarge, close: true)
            }
        case .end:
            guard let done = pending, let head = done.head else { return }
            pending = nil
            done.timeout?.cancel()
            let reusable = done.requestKeepAlive && head.isKeepAlive
            done.release(reusable)
            done.promise.succeed(HTTPClientResponse(head: head, body: done.body ?? ByteBuffer()))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPClientError.connectionClosed(beforeResponse: pending?.head == nil), close: false)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, close: true)
    }

    private func fail(_ error: any Error, close: Bool) {
        guard let done = pending else {
            if close { context?.close(promise: nil) }
            return
        }
        pending = nil
        done.timeout?.cancel()
        done.release(false)
        done.promise.fail(error)
        if close { context?.close(promise: nil) }
    }
}
