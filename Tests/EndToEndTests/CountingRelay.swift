import EdgeGateway
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 relay in front of an origin that counts the requests it passes on: the number of requests
/// the origin actually received, counted outside both the origin and the load tool.
final class CountingRelay: Sendable {
    let port: Int
    private let channel: any Channel
    private let counter: Counter

    /// Requests passed to the origin so far (`/health` checks left out).
    var requests: Int { counter.value.withLock { $0 } }

    private init(channel: any Channel, counter: Counter) {
        self.channel = channel
        self.counter = counter
        port = channel.localAddress?.port ?? 0
    }

    /// Runs `body` with a relay to `origin` on a free loopback port; it is closed afterwards.
    static func with<Result: Sendable>(to origin: HTTPEndpoint, _ body: @Sendable (CountingRelay) async throws -> Result) async throws -> Result {
        let counter = Counter()
        let client = try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(origin: origin, client: client, counter: counter))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let relay = CountingRelay(channel: channel, counter: counter)
        do {
            let result = try await body(relay)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let origin: HTTPEndpoint
        let client: HTTP1Client
        let counter: Counter
        var head: HTTPRequestHead?
        var body: ByteBuffer?

        init(origin: HTTPEndpoint, client: HTTP1Client, counter: Counter) {
            self.origin = origin
            self.client = client
            self.counter = counter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = nil
            case .body(var part):
                if body == nil { body = part } else { body!.writeBuffer(&part) }
            case .end:
                guard let head else { return }
                if head.uri != "/health" { counter.value.withLock { $0 += 1 } }
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                client.execute(head, body: body, to: origin, on: context.eventLoop, deadline: .now() + .seconds(10)).whenComplete { result in
                    let (handler, context) = bound.value
                    switch result {
                    case .success(let response):
                        context.write(handler.wrapOutboundOut(.head(response.head)), promise: nil)
                        context.write(handler.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
                        context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                    case .failure:
                        context.close(promise: nil)
                    }
                }
            }
        }
    }
}
