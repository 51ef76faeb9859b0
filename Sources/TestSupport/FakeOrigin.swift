import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A scripted HTTP/1.1 origin on a free loopback port that counts and records the requests it gets.
public final class FakeOrigin: Sendable {
    /// What the fake answers.
    public struct Reply: Sendable {
        public var status: HTTPResponseStatus
        public var headers: [(String, String)]
        public var body: String
        /// How long to think before answering (to make concurrent requests overlap).
        public var delay: TimeAmount?
        /// Hold the answer until the gate opens (checked every 5 ms).
        public var gate: Gate?

        public init(
            status: HTTPResponseStatus = .ok,
            headers: [(String, String)] = [],
            body: String = "",
            delay: TimeAmount? = nil,
            gate: Gate? = nil
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.gate = gate
        }
    }

    /// A one-way switch a test opens to let held answers go.
    public final class Gate: Sendable {
        private let opened = NIOLockedValueBox(false)

        public init() {}

        public func open() { opened.withLockedValue { $0 = true } }

        public var isOpen: Bool { opened.withLockedValue { $0 } }
    }

    public typealias Responder = @Sendable (HTTPRequestHead) -> Reply

    private let channel: Channel
    private let recorded: NIOLockedValueBox<[HTTPRequestHead]>
    private let connections: NIOLockedValueBox<[Channel]>

    /// The bound port (still known after ``stop()``, to test a dead origin).
    public let port: Int
    /// Every request head received, in order.
    public var requests: [HTTPRequestHead] { recorded.withLockedValue { $0 } }
    /// How many requests arrived.
    public var requestCount: Int { recorded.withLockedValue { $0.count } }

    private init(channel: Channel, recorded: NIOLockedValueBox<[HTTPRequestHead]>, connections: NIOLockedValueBox<[Channel]>) {
        self.channel = channel
        self.recorded = recorded
        self.connections = connections
        self.port = channel.localAddress?.port ?? 0
    }

    /// Starts a fake origin answering every request with `responder`.
    public static func start(_ responder: @escaping Responder) async throws -> FakeOrigin {
        let recorded = NIOLockedValueBox([HTTPRequestHead]())
        let connections = NIOLockedValueBox([Channel]())
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.withLockedValue { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(responder: responder, recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeOrigin(channel: channel, recorded: recorded, connections: connections)
    }

    /// Stops listening and closes every open connection: the origin is gone.
    public func stop() async {
        try? await channel.close()
        for connection in connections.withLockedValue({ $0 }) { try? await connection.close() }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let responder: Responder
        let recorded: NIOLockedValueBox<[HTTPRequestHead]>
        var head: HTTPRequestHead?

        init(responder: @escaping Responder, recorded: NIOLockedValueBox<[HTTPRequestHead]>) {
            self.responder = responder
            self.recorded = recorded
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                recorded.withLockedValue { $0.append(head) }
                let reply = responder(head)
                var response = HTTPResponseHead(version: head.version, status: reply.status)
                for (name, value) in reply.headers { response.headers.add(name: name, value: value) }
                let body = context.channel.allocator.buffer(string: reply.body)
                response.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
                let send = { [self] (context: ChannelHandlerContext) in
                    context.write(self.wrapOutboundOut(.head(response)), promise: nil)
                    if head.method != .HEAD { context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if let gate = reply.gate {
                    let bound = NIOLoopBound((context, send), eventLoop: context.eventLoop)
                    context.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(5)) { task in
                        guard gate.isOpen else { return }
                        task.cancel()
                        let (context, send) = bound.value
                        send(context)
                    }
                } else if let delay = reply.delay {
                    let bound = NIOLoopBound((context, send), eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: delay) {
                        let (context, send) = bound.value
                        send(context)
                    }
                } else {
                    send(context)
                }
            }
        }
    }
}
