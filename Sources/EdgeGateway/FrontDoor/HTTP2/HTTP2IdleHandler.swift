import NIOCore
import NIOHTTP2

/// The HTTP/2 connection's timeouts that HTTP/1's ``RequestGuard`` has per connection: with no stream open,
/// the connection ends after the first-request timeout (before any stream) or the keep-alive idle timeout
/// (GOAWAY `NO_ERROR`, then closed); a client that reads nothing, its socket full, for the send timeout is cut
/// off. Sits right after the HTTP/2 handler, where stream events and writability pass.
final class HTTP2IdleHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let firstRequestTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let sendTimeout: TimeAmount
    private var openStreams = 0
    private var hadStream = false
    private var highestStream = HTTP2StreamID.rootStream
    private var idleTimer: Scheduled<Void>?
    private var sendTimer: Scheduled<Void>?

    init(limits: FrontDoorLimits) {
        firstRequestTimeout = min(limits.firstRequestTimeout, limits.keepAliveIdleTimeout)
        idleTimeout = limits.keepAliveIdleTimeout
        sendTimeout = limits.slowReadTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armIdleTimer(context: context)
        if !context.channel.isWritable { armSendTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        sendTimer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .headers = frame.payload, frame.streamID > highestStream { highestStream = frame.streamID }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is NIOHTTP2StreamCreatedEvent:
            openStreams += 1
            hadStream = true
            idleTimer?.cancel()
            idleTimer = nil
        case is StreamClosedEvent:
            openStreams = max(0, openStreams - 1)
            if openStreams == 0 { armIdleTimer(context: context) }
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

    private func armIdleTimer(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: hadStream ? idleTimeout : firstRequestTimeout) {
            let (handler, context) = bound.value
            guard handler.openStreams == 0 else { return }
            let goAway = HTTP2Frame(
                streamID: .rootStream,
                payload: .goAway(lastStreamID: handler.highestStream, errorCode: .noError, opaqueData: nil)
            )
            context.writeAndFlush(handler.wrapOutboundOut(goAway)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private func armSendTimer(context: ChannelHandlerContext) {
        guard sendTimer == nil else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        sendTimer = context.eventLoop.scheduleTask(in: sendTimeout) {
            bound.value.close(promise: nil)
        }
    }
}
