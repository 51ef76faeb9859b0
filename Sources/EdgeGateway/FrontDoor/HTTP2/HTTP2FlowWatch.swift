import Logging
import NIOCore
import NIOHTTP2

/// Ends an HTTP/2 connection whose client lets responses wait on flow-control windows it does not open
/// (``HTTP2FlowLedger``): GOAWAY `ENHANCE_YOUR_CALM`, then closed. Sits between the HTTP/2 handler and the hit
/// handler, where it sees the client's SETTINGS and WINDOW_UPDATE frames and every frame the edge sends,
/// from the hit path and the stream channels alike.
final class HTTP2FlowWatch: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private var ledger: HTTP2FlowLedger
    private let clock: @Sendable () -> UInt64
    private let logger: Logger
    private var check: Scheduled<Void>?
    private var highestStream = HTTP2StreamID.rootStream
    private var ended = false

    /// - Parameters:
    ///   - stallLimit: how long a response may wait on a used-up window (the send timeout).
    ///   - clock: monotonic nanoseconds (the edge's clock).
    init(stallLimit: TimeAmount, clock: @escaping @Sendable () -> UInt64, logger: Logger) {
        ledger = HTTP2FlowLedger(stallLimit: UInt64(max(0, stallLimit.nanoseconds)))
        self.clock = clock
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .settings(.settings(let settings)):
            for setting in settings where setting.parameter == .initialWindowSize {
                ledger.clientInitialWindow(setting.value, now: clock())
            }
        case .windowUpdate(let increment):
            ledger.windowUpdate(stream: Int(frame.streamID), increment: increment, now: clock())
        case .headers:
            if frame.streamID > highestStream { highestStream = frame.streamID }
        default:
            break
        }
        watch(context: context)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            ledger.headersSent(stream: Int(frame.streamID), endStream: headers.endStream, now: clock())
        case .data(let body):
            let length = body.data.readableBytes + (body.paddingBytes ?? 0)
            ledger.dataSent(stream: Int(frame.streamID), length: length, endStream: body.endStream, now: clock())
            watch(context: context)
        default:
            break
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let closed = event as? StreamClosedEvent { ledger.streamClosed(Int(closed.streamID)) }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
    }

    /// While a window is used up, looks again every quarter of the limit (at least every 50 ms).
    private func watch(context: ChannelHandlerContext) {
        guard check == nil, ledger.anyExhausted, !ended else { return }
        let interval = TimeAmount.nanoseconds(max(50_000_000, Int64(ledger.stallLimit / 4)))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(in: interval) {
            let (watch, context) = bound.value
            watch.check = nil
            if watch.ledger.stalled(at: watch.clock()) {
                watch.end(context: context)
            } else {
                watch.watch(context: context)
            }
        }
    }

    private func end(context: ChannelHandlerContext) {
        ended = true
        logger.info("HTTP/2 client left responses waiting on flow control; connection ended", metadata: ["streams": "\(ledger.openResponses)"])
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: highestStream, errorCode: .enhanceYourCalm, opaqueData: nil))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(goAway), promise: nil)
        context.close(mode: .output, promise: nil)
        channel.eventLoop.scheduleTask(in: HTTP2ConnectionErrorCloser.linger) { channel.close(promise: nil) }
    }
}
