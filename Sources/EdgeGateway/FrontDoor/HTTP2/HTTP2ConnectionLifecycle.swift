import Logging
import NIOCore
import NIOHTTP2

/// When an HTTP/2 connection ends, by the open streams it counts (one handler, so that every frame crosses
/// one hop for all of it):
/// - **drain:** once a drain began, GOAWAY (no new streams), then closed when the open streams are done;
/// - **idle:** with no stream open, GOAWAY `NO_ERROR` and closed after the first-request timeout (before any
///   stream) or the keep-alive idle timeout, as HTTP/1's ``RequestGuard`` does per connection;
/// - **send progress:** a client that reads nothing, its socket full, for the send timeout is cut off;
/// - **flow-control stall:** a client that lets responses wait on windows it does not open for the send
///   timeout (``HTTP2FlowLedger``: tiny windows, no WINDOW_UPDATE) gets GOAWAY `ENHANCE_YOUR_CALM` and is cut
///   off.
///
/// Sits right after the HTTP/2 handler, where stream events and writability pass, the client's SETTINGS and
/// WINDOW_UPDATE frames, and every frame the edge sends, from the hit path and the stream channels alike.
final class HTTP2ConnectionLifecycle: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let firstRequestTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let sendTimeout: TimeAmount
    private var openStreams = 0
    private var hadStream = false
    private var draining = false
    private var highestStream = HTTP2StreamID.rootStream
    /// Since when no stream has been open (`nil` while one is).
    private var idleSince: NIODeadline?
    /// At most one idle timer at a time, never cancelled on the hot path: when it fires it looks at
    /// ``idleSince`` and either ends the connection or waits for the rest of the time.
    private var idleTimer: Scheduled<Void>?
    private var sendTimer: Scheduled<Void>?
    private var flow: HTTP2FlowLedger
    private var flowCheck: Scheduled<Void>?
    private var ended = false
    private let clock: @Sendable () -> UInt64
    private let logger: Logger

    /// - Parameters:
    ///   - limits: the timeouts (first request, keep-alive idle, send).
    ///   - clock: monotonic nanoseconds (the edge's clock), for the flow-control stall.
    init(limits: FrontDoorLimits, clock: @escaping @Sendable () -> UInt64, logger: Logger) {
        firstRequestTimeout = min(limits.firstRequestTimeout, limits.keepAliveIdleTimeout)
        idleTimeout = limits.keepAliveIdleTimeout
        sendTimeout = limits.slowReadTimeout
        flow = HTTP2FlowLedger(stallLimit: UInt64(max(0, limits.slowReadTimeout.nanoseconds)))
        self.clock = clock
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The drain began while this connection was still being set up: tell the client at once that no
        // stream was or will be processed (GOAWAY with last stream 0, so it retries elsewhere), and close.
        if QuiesceFlag.isSet(on: context.pipeline) {
            draining = true
            let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .rootStream, errorCode: .noError, opaqueData: nil))
            context.writeAndFlush(wrapOutboundOut(goAway)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        let now = NIODeadline.now()
        idleSince = now
        armIdleTimer(context: context, at: now + firstRequestTimeout)
        if !context.channel.isWritable { armSendTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        sendTimer?.cancel()
        flowCheck?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers:
            if frame.streamID > highestStream { highestStream = frame.streamID }
        case .settings(.settings(let settings)):
            for setting in settings where setting.parameter == .initialWindowSize {
                flow.clientInitialWindow(setting.value, now: clock())
            }
            watchFlow(context: context)
        case .windowUpdate(let increment):
            flow.windowUpdate(stream: Int(frame.streamID), increment: increment, now: clock())
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            flow.headersSent(stream: Int(frame.streamID), endStream: headers.endStream, now: clock())
        case .data(let body):
            let length = body.data.readableBytes + (body.paddingBytes ?? 0)
            flow.dataSent(stream: Int(frame.streamID), length: length, endStream: body.endStream, now: clock())
            watchFlow(context: context)
        default:
            break
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is NIOHTTP2StreamCreatedEvent:
            openStreams += 1
            hadStream = true
            idleSince = nil
        case let closed as StreamClosedEvent:
            flow.streamClosed(Int(closed.streamID))
            openStreams = max(0, openStreams - 1)
            if openStreams == 0 {
                if draining {
                    goAwayAndClose(context: context, lastStream: .maxID)
                } else {
                    let now = NIODeadline.now()
                    idleSince = now
                    if idleTimer == nil { armIdleTimer(context: context, at: now + idleTimeout) }
                }
            }
        case is ChannelShouldQuiesceEvent:
            draining = true
            if openStreams == 0 {
                goAwayAndClose(context: context, lastStream: .maxID)
            } else {
                context.writeAndFlush(wrapOutboundOut(Self.goAway(lastStream: .maxID, .noError)), promise: nil)
            }
            return
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            sendTimer?.cancel()
            sendTimer = nil
        } else {
            armSendTimer(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    private static func goAway(lastStream: HTTP2StreamID, _ code: HTTP2ErrorCode) -> HTTP2Frame {
        HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStream, errorCode: code, opaqueData: nil))
    }

    /// A last GOAWAY, then close once it (and every frame written before it) reached the socket.
    private func goAwayAndClose(context: ChannelHandlerContext, lastStream: HTTP2StreamID) {
        context.writeAndFlush(wrapOutboundOut(Self.goAway(lastStream: lastStream, .noError))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func armIdleTimer(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.idleTimer = nil
            // A stream is open (its close arms the timer again), or the drain ends the connection.
            guard handler.openStreams == 0, !handler.draining, let since = handler.idleSince else { return }
            let end = since + (handler.hadStream ? handler.idleTimeout : handler.firstRequestTimeout)
            guard end <= .now() else {
                handler.armIdleTimer(context: context, at: end)
                return
            }
            handler.goAwayAndClose(context: context, lastStream: handler.highestStream)
        }
    }

    /// While a window is used up, looks again every quarter of the send timeout (at least every 50 ms).
    private func watchFlow(context: ChannelHandlerContext) {
        guard flowCheck == nil, !ended, flow.anyExhausted else { return }
        let interval = TimeAmount.nanoseconds(max(50_000_000, Int64(flow.stallLimit / 4)))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        flowCheck = context.eventLoop.scheduleTask(in: interval) {
            let (handler, context) = bound.value
            handler.flowCheck = nil
            if handler.flow.stalled(at: handler.clock()) {
                handler.endStalled(context: context)
            } else {
                handler.watchFlow(context: context)
            }
        }
    }

    private func endStalled(context: ChannelHandlerContext) {
        ended = true
        logger.info("HTTP/2 client left responses waiting on flow control; connection ended", metadata: ["streams": "\(flow.openResponses)"])
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(Self.goAway(lastStream: highestStream, .enhanceYourCalm)), promise: nil)
        context.close(mode: .output, promise: nil)
        channel.eventLoop.scheduleTask(in: HTTP2ConnectionErrorCloser.linger) { channel.close(promise: nil) }
    }

    private func armSendTimer(context: ChannelHandlerContext) {
        guard sendTimer == nil else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        sendTimer = context.eventLoop.scheduleTask(in: sendTimeout) {
            bound.value.close(promise: nil)
        }
    }
}
