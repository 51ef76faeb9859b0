import Logging
import NIOCore
import NIOPosix

/// One connection to Redis. Commands are pipelined: each is written at once and its reply completes the
/// oldest waiting promise (Redis answers in order). Never blocks a thread: NIO owns the socket.
public final class RedisConnection: Sendable {
    let channel: Channel

    private init(channel: Channel) { self.channel = channel }

    /// Opens a connection.
    /// - Parameters:
    ///   - host: Redis host.
    ///   - port: Redis port.
    ///   - connectTimeout: how long the TCP connect may take.
    ///   - group: the event loops to use.
    public static func connect(
        host: String,
        port: Int,
        connectTimeout: TimeAmount = .seconds(1),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisConnection {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisCommandHandler())
                }
            }
            .connect(host: host, port: port).get()
        return RedisConnection(channel: channel)
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Sends one command and waits for its reply. An error reply is thrown as ``RedisError/server(_:)``.
    /// - Parameters:
    ///   - arguments: the command and its arguments, e.g. `["SET", key, value]`.
    ///   - timeout: how long to wait for the reply.
    @discardableResult
    public func send(_ arguments: [[UInt8]], timeout: TimeAmount = .seconds(1)) async throws -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        // On a closed channel the write never reaches the handler: fail the command with the write.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in promise.fail(RedisError.connectionClosed) }
        channel.writeAndFlush(RedisCommandHandler.Command(arguments: arguments, promise: promise, timeout: timeout), promise: written)
        let reply = try await promise.futureResult.get()
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    /// Sends one command given as strings.
    @discardableResult
    public func send(_ arguments: String..., timeout: TimeAmount = .seconds(1)) async throws -> RESPValue {
        try await send(arguments.map { Array($0.utf8) }, timeout: timeout)
    }

    /// Closes the connection; waiting commands fail with ``RedisError/connectionClosed``.
    public func close() async {
        try? await channel.close()
    }
}

/// Writes commands, matches replies to them in FIFO order, and enforces per-command deadlines.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Command
    typealias OutboundOut = ByteBuffer

    struct Command {
        var arguments: [[UInt8]]
        var promise: EventLoopPromise<RESPValue>
        var timeout: TimeAmount
    }

    private struct Waiting {
        var promise: EventLoopPromise<RESPValue>
        var timer: Scheduled<Void>
    }

    private let codec = RESPCodec()
    private var waiting = CircularBuffer<Waiting>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        guard context.channel.isActive else {
            command.promise.fail(RedisError.connectionClosed)
            promise?.fail(RedisError.connectionClosed)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        RESPCodec.encode(command.arguments, into: &buffer)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: command.timeout) {
            // A late reply would answer the wrong command: give up on the whole connection.
            let (handler, context) = loopBound.value
            handler.failAll(RedisError.timeout)
            context.close(promise: nil)
        }
        waiting.append(Waiting(promise: command.promise, timer: timer))
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try codec.feed(unwrapInboundIn(data))
            while let reply = try codec.nextReply() {
                guard let next = waiting.popFirst() else { continue }
                next.timer.cancel()
                next.promise.succeed(reply)
            }
        } catch {
            failAll(RedisError.protocolError)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let next = waiting.popFirst() {
            next.timer.cancel()
            next.promise.fail(error)
        }
    }
}
