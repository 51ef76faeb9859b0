import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay on a free loopback port in front of one server, which a test can cut (every relayed connection
/// closed, new ones closed at once) and restore: one client's network outage while the server stays up for
/// everyone else.
final class TCPCutRelay: Sendable {
    let port: Int
    private let listener: any Channel
    private let state: Shared

    private init(listener: any Channel, state: Shared) {
        self.listener = listener
        self.state = state
        port = listener.localAddress?.port ?? 0
    }

    /// Starts a relay to `127.0.0.1:targetPort`.
    static func start(to targetPort: Int) async throws -> TCPCutRelay {
        let state = Shared()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                guard state.open.withLock({ $0 }) else { return inbound.close() }
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            try outbound.pipeline.syncOperations.addHandler(Forward(peer: inbound))
                        }
                    }
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMapThrowing { outbound in
                        try inbound.pipeline.syncOperations.addHandler(Forward(peer: outbound))
                        state.connections.withLock { $0 += [inbound, outbound] }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TCPCutRelay(listener: listener, state: state)
    }

    /// Closes every relayed connection and refuses (closes) new ones until ``restore()``.
    func cut() {
        state.open.withLock { $0 = false }
        for channel in state.connections.withLock({ connections in
            defer { connections = [] }
            return connections
        }) {
            channel.close(promise: nil)
        }
    }

    /// Relays new connections again.
    func restore() {
        state.open.withLock { $0 = true }
    }

    /// Stops listening and closes every connection.
    func close() async {
        cut()
        try? await listener.close()
    }

    private final class Shared: Sendable {
        let open = Mutex(true)
        let connections = Mutex<[any Channel]>([])
    }

    /// Writes what one side reads to the other, and closes the other when one closes.
    private final class Forward: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let peer: any Channel

        init(peer: any Channel) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
