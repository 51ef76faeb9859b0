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

/// One upstream request and how its response is to be taken.
struct UpstreamRequest {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    /// When the response head (and a buffered body) must have arrived.
    var deadline: NIODeadline
    /// Stream bodies larger than this; `nil` buffers them.
    var streamAbove: Int?
    /// How long a streamed body may go without a byte while the consumer is reading.
    var idleTimeout: TimeAmount
}

/// The body of an upstream response too large to buffer, handed on as it arrives.
///
/// It lives on the event loop of the request: every method must be called there. The consumer applies
/// backpressure with ``pause()``/``resume()`` (reads from the origin stop while paused, so memory stays
/// bounded by what is in flight), and ``cancel()`` drops the upstream connection when its client is gone.
public final class UpstreamBodyStream: @unchecked Sendable {
    /// What the consumer receives, in order: bytes, then exactly one `end` or `failed`.
    public enum Event {
        case bytes(ByteBuffer)
        case end
        case failed(any Error)
    }

    public let eventLoop: any EventLoop
    private var early = CircularBuffer<Event>()
    private var consumer: ((Event) -> Void)?
    private var finished = false
    fileprivate weak var handler: UpstreamResponseHandler?

    fileprivate init(eventLoop: any EventLoop, handler: UpstreamResponseHandler) {
        self.eventLoop = eventLoop
        self.handler = handler
    }

    /// Starts delivery: events that already arrived first, then each as it comes.
    public func start(_ consumer: @escaping (Event) -> Void) {
        eventLoop.preconditionInEventLoop()
        precondition(self.consumer == nil, "a body stream has one consumer")
        self.consumer = consumer
        while let event = early.popFirst() { consumer(event) }
    }

    /// Stops reading from the origin until ``resume()``.
    public func pause() {
        eventLoop.preconditionInEventLoop()
        handler?.pauseReading()
    }

    /// Reads from the origin again.
    public func resume() {
        eventLoop.preconditionInEventLoop()
        handler?.resumeReading()
    }

    /// The consumer wants no more: the upstream connection is closed (not reused) and no event follows.
    public func cancel() {
        eventLoop.preconditionInEventLoop()
        guard !finished else { return }
        finished = true
        consumer = nil
        early.removeAll()
        handler?.cancelStream()
        handler = nil
    }

    fileprivate func deliver(_ event: Event) {
        guard !finished else { return }
        switch event {
        case .bytes: break
        case .end, .failed:
            finished = true
            handler = nil
        }
        if let consumer {
            consumer(event)
            if finished { self.consumer = nil }
        } else {
            early.append(event)
        }
    }
}

/// Runs one request at a time on an upstream connection and collects (or streams) its response.
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
        var streamAbove: Int?
        var idleTimeout: TimeAmount
        var stream: UpstreamBodyStream?
        var lastProgress = NIODeadline.now()
    }

    private let maximumBodySize: Int
    private var pending: Pending?
    private var context: ChannelHandlerContext?
    /// Backpressure from a stream's consumer: reads are held while paused.
    private var paused = false
    private var readHeld = false

    init(maximumBodySize: Int) {
        self.maximumBodySize = maximumBodySize
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func send(_ request: UpstreamRequest, promise: EventLoopPromise<HTTPClientResponse>, release: @escaping (Bool) -> Void) {
        guard let context, pending == nil, context.channel.isActive else {
            promise.fail(HTTPClientError.connectionClosed(beforeResponse: true))
            release(false)
            return
        }
        var head = request.head
        if let body = request.body {
            head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        }
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: request.deadline) { [weak self] in
            guard let self else { return }
            self.fail(HTTPClientError.timeout, close: true)
        }
        paused = false
        pending = Pending(
            promise: promise,
            release: release,
            requestKeepAlive: head.isKeepAlive,
            timeout: timeout,
            streamAbove: request.streamAbove,
            idleTimeout: request.idleTimeout
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard pending != nil else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            pending?.head = head
            if let threshold = pending?.streamAbove, let length = head.headers.first(name: "content-length").flatMap(Int.init),
                length > threshold
            {
                beginStreaming(context: context, head: head, received: nil)
            }
        case .body(var part):
            if let stream = pending?.stream {
                pending?.lastProgress = .now()
                stream.deliver(.bytes(part))
                return
            }
            if pending?.body == nil {
                pending?.body = part
            } else {
                pending?.body?.writeBuffer(&part)
            }
            let size = pending?.body?.readableBytes ?? 0
            if let threshold = pending?.streamAbove, size > threshold, let head = pending?.head {
                beginStreaming(context: context, head: head, received: pending?.body)
            } else if size > maximumBodySize {
                fail(HTTPClientError.responseTooLarge, close: true)
            }
        case .end:
            guard let done = pending, let head = done.head else { return }
            pending = nil
            done.timeout?.cancel()
            let reusable = done.requestKeepAlive && head.isKeepAlive
            if let stream = done.stream {
                resumeReading()
                done.release(reusable)
                stream.deliver(.end)
            } else {
                done.release(reusable)
                done.promise.succeed(HTTPClientResponse(head: head, body: done.body ?? ByteBuffer()))
            }
        }
    }

    /// The response is known to be too large to buffer: hand the head on now, the body as it comes.
    private func beginStreaming(context: ChannelHandlerContext, head: HTTPResponseHead, received: ByteBuffer?) {
        guard let promise = pending?.promise else { return }
        pending?.timeout?.cancel()
        pending?.body = nil
        pending?.lastProgress = .now()
        let stream = UpstreamBodyStream(eventLoop: context.eventLoop, handler: self)
        pending?.stream = stream
        scheduleIdleCheck(context: context, stream: stream)
        if let received, received.readableBytes > 0 { stream.deliver(.bytes(received)) }
        promise.succeed(HTTPClientResponse(head: head, body: ByteBuffer(), stream: stream))
    }

    /// Fails a streamed body that stopped arriving while its consumer was ready for more.
    private func scheduleIdleCheck(context: ChannelHandlerContext, stream: UpstreamBodyStream) {
        guard let idle = pending?.idleTimeout, let last = pending?.lastProgress else { return }
        context.eventLoop.assumeIsolated().scheduleTask(deadline: last + idle) { [weak self] in
            guard let self, let pending = self.pending, pending.stream === stream, let context = self.context else { return }
            if self.paused || NIODeadline.now() - pending.lastProgress < idle {
                if self.paused { self.pending?.lastProgress = .now() }
                self.scheduleIdleCheck(context: context, stream: stream)
            } else {
                self.fail(HTTPClientError.bodyStalled, close: true)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if paused {
            readHeld = true
        } else {
            context.read()
        }
    }

    func pauseReading() { paused = true }

    func resumeReading() {
        paused = false
        if readHeld, let context {
            readHeld = false
            context.read()
        }
    }

    /// The stream's consumer gave up: close the connection, it is mid-response.
    func cancelStream() {
        guard let done = pending, done.stream != nil else { return }
        pending = nil
        resumeReading()
        done.release(false)
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
        if let stream = done.stream {
            stream.deliver(.failed(error))
        } else {
            done.promise.fail(error)
        }
        if close { context?.close(promise: nil) }
    }
}
