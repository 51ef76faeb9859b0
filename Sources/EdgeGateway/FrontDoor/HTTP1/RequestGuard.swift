import NIOCore
import NIOHTTP1

/// Sits before the HTTP/1 request decoder and bounds what a client may make the edge wait for: the request
/// line's length (414), the time to the first request after the handshake, the time to send a head
/// (slowloris), pauses in a body and its rate (a byte dripped now and then), idle keep-alive, and a client
/// that stops reading its response.
///
/// One timer per connection, re-armed lazily: the hot path only notes the time when a request starts.
final class RequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Phase {
        /// Waiting for the next request since then.
        case idle(since: NIODeadline)
        /// A request started (first byte) then; its line has `lineBytes` bytes so far, or is complete.
        case head(started: NIODeadline, lineBytes: Int, lineComplete: Bool)
        /// Receiving a body; last byte then, and `windowBytes` bytes since `windowStart` (the rate check).
        case body(lastByte: NIODeadline, windowStart: NIODeadline, windowBytes: Int)
        /// The request is complete: the edge is answering it.
        case responding
    }

    private let limits: FrontDoorLimits
    private var phase: Phase
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var slowRead: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var closed = false
    /// A request began on this connection: until then the first-request timeout applies, not keep-alive.
    private var requestSeen = false

    init(limits: FrontDoorLimits) {
        self.limits = limits
        self.phase = .idle(since: .now())
    }

    /// The event loop's time: its timers run on it, and an `EmbeddedEventLoop` moves it by hand in tests.
    private var now: NIODeadline { context?.eventLoop.now ?? .now() }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        phase = .idle(since: now)
        arm(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        slowRead?.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        let bytes = unwrapInboundIn(data)
        switch phase {
        case .idle:
            requestSeen = true
            phase = .head(started: now, lineBytes: 0, lineComplete: false)
            if !checkLine(bytes, context: context) { return }
            arm(context: context)
        case .head:
            if !checkLine(bytes, context: context) { return }
        case .body(_, let windowStart, let windowBytes):
            phase = .body(lastByte: now, windowStart: windowStart, windowBytes: windowBytes + bytes.readableBytes)
        case .responding:
            break
        }
        context.fireChannelRead(data)
    }

    /// Counts request-line bytes until its line feed; refuses an over-long line with 414.
    private func checkLine(_ bytes: ByteBuffer, context: ChannelHandlerContext) -> Bool {
        guard case .head(let started, let lineBytes, false) = phase else { return true }
        let view = bytes.readableBytesView
        if let lineFeed = view.firstIndex(of: UInt8(ascii: "\n")) {
            let length = lineBytes + (lineFeed - view.startIndex)
            if length > limits.maximumRequestLineLength {
                refuse(context: context, status: "414 URI Too Long")
                return false
            }
            phase = .head(started: started, lineBytes: length, lineComplete: true)
            return true
        }
        let length = lineBytes + view.count
        if length > limits.maximumRequestLineLength {
            refuse(context: context, status: "414 URI Too Long")
            return false
        }
        phase = .head(started: started, lineBytes: length, lineComplete: false)
        return true
    }

    // Signals from the request handler.

    /// The head was parsed; a body follows when `expectsBody`.
    func headReceived(expectsBody: Bool) {
        phase = expectsBody ? .body(lastByte: now, windowStart: now, windowBytes: 0) : .responding
    }

    /// The whole request arrived.
    func requestReceived() {
        phase = .responding
    }

    /// The response went out; the connection waits for the next request.
    func responseSent() {
        phase = .idle(since: now)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            slowRead?.cancel()
            slowRead = nil
        } else if slowRead == nil {
            slowRead = context.eventLoop.assumeIsolated().scheduleTask(in: limits.slowReadTimeout) { [weak self] in
                guard let self, let context = self.context, !context.channel.isWritable else { return }
                self.closed = true
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        slowRead?.cancel()
        context.fireChannelInactive()
    }

    /// The deadline the current phase sets, if any.
    private func deadline() -> NIODeadline? {
        switch phase {
        case .idle(let since):
            since + (requestSeen ? limits.keepAliveIdleTimeout : min(limits.firstRequestTimeout, limits.keepAliveIdleTimeout))
        case .head(let started, _, _): started + limits.requestHeadTimeout
        case .body(let lastByte, let windowStart, _):
            limits.minimumRequestBodyBytesPerWindow > 0
                ? min(lastByte + limits.requestBodyIdleTimeout, windowStart + limits.requestBodyRateWindow)
                : lastByte + limits.requestBodyIdleTimeout
        case .responding: nil
        }
    }

    /// Keeps one timer at (or before) the current deadline; when it fires, the phase is checked again.
    private func arm(context: ChannelHandlerContext) {
        guard let deadline = deadline() else { return }
        if let current = timerDeadline, current <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.fire()
        }
    }

    private func fire() {
        timer = nil
        timerDeadline = nil
        guard let context, !closed else { return }
        guard let deadline = deadline() else {
            // Responding: look again a head timeout later (the phase changes when the response is sent).
            timerDeadline = now + limits.requestHeadTimeout
            timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: timerDeadline!) { [weak self] in self?.fire() }
            return
        }
        guard deadline <= now else {
            arm(context: context)
            return
        }
        switch phase {
        case .idle:
            closed = true
            context.close(promise: nil)
        case .head:
            refuse(context: context, status: "408 Request Timeout")
        case .body(let lastByte, _, let windowBytes):
            // Either the pause or the window ended: a window that brought enough bytes starts the next one.
            if lastByte + limits.requestBodyIdleTimeout > now, windowBytes >= limits.minimumRequestBodyBytesPerWindow {
                phase = .body(lastByte: lastByte, windowStart: now, windowBytes: 0)
                arm(context: context)
            } else {
                refuse(context: context, status: "408 Request Timeout")
            }
        case .responding:
            break
        }
    }

    /// Answers `status` and closes; nothing more is read from this connection.
    private func refuse(context: ChannelHandlerContext, status: String) {
        closed = true
        timer?.cancel()
        var buffer = context.channel.allocator.buffer(capacity: 128)
        buffer.writeString("HTTP/1.1 \(status)\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
