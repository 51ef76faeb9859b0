import EdgeCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS
import ServiceLifecycle
import Shared
import Synchronization

/// On an HTTP/2 connection being drained: GOAWAY (no new streams), then close once the open streams are
/// done. Sits between the HTTP/2 handler and the stream multiplexer, where stream events pass.
final class HTTP2DrainHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private var openStreams = 0
    private var draining = false

    func handlerAdded(context: ChannelHandlerContext) {
        // The drain began while this connection was still being set up: tell the client at once that no
        // stream was or will be processed (GOAWAY with last stream 0, so it retries elsewhere), and close.
        guard QuiesceFlag.isSet(on: context.pipeline) else { return }
        draining = true
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .rootStream, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(goAway)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is NIOHTTP2StreamCreatedEvent:
            openStreams += 1
        case is StreamClosedEvent:
            openStreams = max(0, openStreams - 1)
            if draining, openStreams == 0 { goAwayAndClose(context: context) }
        case is ChannelShouldQuiesceEvent:
            draining = true
            if openStreams == 0 {
                goAwayAndClose(context: context)
            } else {
                context.writeAndFlush(wrapOutboundOut(Self.goAway), promise: nil)
            }
            return
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    private static let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))

    /// A last GOAWAY, then close once it (and every frame written before it) reached the socket.
    private func goAwayAndClose(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(Self.goAway)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
