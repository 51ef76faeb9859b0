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

/// First on every accepted connection: remembers that a drain began, for handlers added after the event
/// passed (a connection still in its TLS handshake when the drain started).
final class QuiesceFlag: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private(set) var quiesced = false

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { quiesced = true }
        context.fireUserInboundEventTriggered(event)
    }

    static func isSet(on pipeline: ChannelPipeline) -> Bool {
        (try? pipeline.syncOperations.handler(type: QuiesceFlag.self).quiesced) ?? false
    }
}
