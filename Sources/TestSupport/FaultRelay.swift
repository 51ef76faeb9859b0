import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay on a free loopback port in front of a real server (PostgreSQL, Redis), that a test can cut
/// in the ways a network or a server fails, without touching the shared server itself.
///
/// - ``Mode/forward``: bytes pass both ways.
/// - ``Mode/refuse``: the port refuses new connections (it stays bound, so no other test can take it) and
///   every relayed connection is reset: a stopped server.
/// - ``Mode/blackHole``: connections are accepted and kept, but no byte passes either way: a partition or a
///   hung server. Held bytes are delivered when the relay forwards again, as TCP delivers them once a
///   partition heals (so a request sent during the cut reaches the server late, unless its sender closed).
///
/// ```swift
/// try await FaultRelay.with(to: TestEnvironment.primaryPort) { relay in
///     try await relay.set(.blackHole)
///     …
/// }
/// ```
public final class FaultRelay: Sendable {
    /// What the relay does with connections.
    public enum Mode: Sendable, Equatable {
        case forward, refuse, blackHole
    }

    /// The relay's own loopback port: give it to the client instead of the server's.
    public let port: Int
    private let targetPort: Int
    private let state: Mutex<State>

    private struct State {
        var mode = Mode.forward
        var listener: (any Channel)?
        var holder: ClosedPort?
        var pipes: [Int: Pipe] = [:]
        var nextID = 0
    }

    private init(port: Int, targetPort: Int) {
        self.port = port
        self.targetPort = targetPort
        state = Mutex(State())
    }

    /// Runs `body` with a relay to the loopback `port`, closed afterwards whatever happened.
    /// - Parameters:
    ///   - port: the server's port on 127.0.0.1.
    ///   - body: receives the relay.
    public static func with<Result: Sendable>(to port: Int, _ body: @Sendable (FaultRelay) async throws -> Result) async throws -> Result {
        let relay = try await start(to: port)
        do {
            let result = try await body(relay)
            await relay.close()
            return result
        } catch {
            await relay.close()
            throw error
        }
    }

    /// Starts a relay to the loopback `port`, forwarding; ``close()`` it when done.
    public static func start(to port: Int) async throws -> FaultRelay {
        // Hold a free port first, so that the relay knows its port before it listens.
        let holder = try ClosedPort()
        let relay = FaultRelay(port: holder.port, targetPort: port)
        relay.state.withLock { $0.holder = holder }
        try await relay.set(.forward)
        return relay
    }

    /// What the relay does now.
    public var mode: Mode { state.withLock { $0.mode } }

    /// Changes what the relay does (see ``Mode``).
    public func set(_ mode: Mode) async throws {
        switch mode {
        case .forward:
            let (held, pipes) = state.withLock { state in
                state.mode = .forward
                let held = state.holder != nil
                state.holder = nil  // the last reference: the port is free again
                return (held, Array(state.pipes.values))
            }
            if held {
                let listener = try await bind(port: port)
                state.withLock { $0.listener = listener }
            }
            for pipe in pipes { pipe.resume() }
        case .blackHole:
            state.withLock { $0.mode = .blackHole }
        case .refuse:
            let (listener, pipes) = state.withLock { state in
                state.mode = .refuse
                defer {
                    state.listener = nil
                    state.pipes = [:]
                }
                return (state.listener, Array(state.pipes.values))
            }
            try? await listener?.close()
            if state.withLock({ $0.holder == nil }) {
                let holder = try ClosedPort(port: port)
                state.withLock { $0.holder = holder }
            }
            for pipe in pipes { pipe.close() }
        }
    }

    /// Closes the listener and every relayed connection.
    public func close() async {
        let (listener, pipes) = state.withLock { state in
            defer {
                state.listener = nil
                state.holder = nil
                state.pipes = [:]
            }
            return (state.listener, Array(state.pipes.values))
        }
        try? await listener?.close()
        for pipe in pipes { pipe.close() }
    }

    private func bind(port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.accepted(channel) }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    private func accepted(_ channel: any Channel) throws {
        let (id, mode) = state.withLock { state in
            state.nextID += 1
            return (state.nextID, state.mode)
        }
        let pipe = Pipe(relay: self, id: id, client: channel)
        guard mode != .refuse else {
            channel.close(promise: nil)
            return
        }
        state.withLock { $0.pipes[id] = pipe }
        try channel.pipeline.syncOperations.addHandler(Pipe.Side(pipe: pipe, fromClient: true))
        if mode == .forward { pipe.connect() }
    }

    fileprivate func forget(_ id: Int) {
        _ = state.withLock { $0.pipes.removeValue(forKey: id) }
    }

    fileprivate var forwarding: Bool { mode == .forward }
    fileprivate var target: Int { targetPort }
}

/// One relayed connection. Its state is touched on the client channel's event loop only (the server side
/// is connected on the same loop).
private final class Pipe: @unchecked Sendable {
    let relay: FaultRelay
    let id: Int
    let client: any Channel
    var server: (any Channel)?
    var connecting = false
    var closed = false
    var toServer: [ByteBuffer] = []
    var toClient: [ByteBuffer] = []

    init(relay: FaultRelay, id: Int, client: any Channel) {
        self.relay = relay
        self.id = id
        self.client = client
    }

    /// Connects to the server (once), then passes on what was held.
    func connect() {
        client.eventLoop.assertInEventLoop()
        guard server == nil, !connecting, !closed else { return }
        connecting = true
        ClientBootstrap(group: client.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Side(pipe: self, fromClient: false))
                }
            }
            .connect(host: "127.0.0.1", port: relay.target)
            .whenComplete { result in
                self.connecting = false
                switch result {
                case .success(let channel):
                    guard !self.closed else { return channel.close(promise: nil) }
                    self.server = channel
                    self.flush()
                case .failure:
                    self.close()
                }
            }
    }

    /// The relay forwards again: connect if never connected, and deliver what was held.
    func resume() {
        client.eventLoop.execute {
            if self.server == nil { self.connect() } else { self.flush() }
        }
    }

    func received(_ buffer: ByteBuffer, fromClient: Bool) {
        if fromClient { toServer.append(buffer) } else { toClient.append(buffer) }
        if relay.forwarding {
            if server == nil { connect() } else { flush() }
        }
    }

    private func flush() {
        guard relay.forwarding, let server, !closed else { return }
        for buffer in toServer { server.write(buffer, promise: nil) }
        for buffer in toClient { client.write(buffer, promise: nil) }
        if !toServer.isEmpty { server.flush() }
        if !toClient.isEmpty { client.flush() }
        toServer = []
        toClient = []
    }

    func close() {
        client.eventLoop.execute {
            guard !self.closed else { return }
            self.closed = true
            self.relay.forget(self.id)
            self.client.close(promise: nil)
            self.server?.close(promise: nil)
        }
    }

    /// Either end of the pipe.
    final class Side: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let pipe: Pipe
        let fromClient: Bool

        init(pipe: Pipe, fromClient: Bool) {
            self.pipe = pipe
            self.fromClient = fromClient
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pipe.received(unwrapInboundIn(data), fromClient: fromClient)
        }

        func channelInactive(context: ChannelHandlerContext) {
            pipe.close()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            pipe.close()
        }
    }
}
