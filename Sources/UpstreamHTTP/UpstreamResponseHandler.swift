import NIOCore
import NIOHTTP1

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
