import NIOCore
import NIOPosix

/// A message received on a subscribed channel.
public struct RedisMessage: Sendable, Equatable {
    public var channel: String
    public var payload: [UInt8]
}

/// A connection in subscribe mode: every message on the given channels arrives on ``messages``.
///
/// The stream ends when the connection closes (Redis restarted, network cut); the caller reconnects and,
/// since messages sent meanwhile are lost, resynchronises (e.g. a full refresh).
public final class RedisSubscriber: Sendable {
    private let channel: Channel
    /// Messages, in order. Finishes when the connection closes.
    public let messages: AsyncStream<RedisMessage>

    private init(channel: Channel, messages: AsyncStream<RedisMessage>) {
        self.channel = channel
        self.messages = messages
    }

    /// Connects and subscribes; returns once Redis confirmed every subscription.
    /// - Parameters:
    ///   - channels: the channels to subscribe to.
    ///   - host: Redis host.
    ///   - port: Redis port.
    ///   - connectTimeout: how long the connect and the confirmation may take.
    public static func subscribe(
        to channels: [String],
        host: String,
        port: Int,
        connectTimeout: TimeAmount = .seconds(1),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisSubscriber {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisMessage.self)
        let confirmed = group.next().makePromise(of: Void.self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            SubscriberHandler(expected: channels.count, confirmed: confirmed, continuation: continuation)
                        )
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            confirmed.fail(error)
            throw error
        }
        var command = channel.allocator.buffer(capacity: 64)
        RESPCodec.encode([Array("SUBSCRIBE".utf8)] + channels.map { Array($0.utf8) }, into: &command)
        try await channel.writeAndFlush(command)
        let timeout = channel.eventLoop.scheduleTask(in: connectTimeout) { confirmed.fail(RedisError.timeout) }
        do {
            try await confirmed.futureResult.get()
            timeout.cancel()
        } catch {
            timeout.cancel()
            try? await channel.close()
            throw error
        }
        return RedisSubscriber(channel: channel, messages: stream)
    }

    /// Closes the connection; ``messages`` finishes.
    public func close() async {
        try? await channel.close()
    }

    private final class SubscriberHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private let codec = RESPCodec()
        private var remaining: Int
        private let confirmed: EventLoopPromise<Void>
        private let continuation: AsyncStream<RedisMessage>.Continuation

        init(expected: Int, confirmed: EventLoopPromise<Void>, continuation: AsyncStream<RedisMessage>.Continuation) {
            self.remaining = expected
            self.confirmed = confirmed
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            do {
                try codec.feed(unwrapInboundIn(data))
                while let reply = try codec.nextReply() {
                    guard case .array(let parts?) = reply, let kind = parts.first?.string else { continue }
                    switch kind {
                    case "subscribe":
                        remaining -= 1
                        if remaining == 0 { confirmed.succeed() }
                    case "message" where parts.count == 3:
                        guard let channel = parts[1].string, case .bulkString(let payload?) = parts[2] else { continue }
                        continuation.yield(RedisMessage(channel: channel, payload: payload))
                    default:
                        continue
                    }
                }
            } catch {
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            confirmed.fail(RedisError.connectionClosed)
            continuation.finish()
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

extension RedisSubscriber {
    /// Stays subscribed to `channels` until the task is cancelled: reconnects a second after every failure or
    /// lost connection, calls `connected` after each (re)subscription (messages sent meanwhile are lost, so
    /// this is where a subscriber resynchronises), and `received` for every message.
    /// - Parameters:
    ///   - channels: the channels.
    ///   - host: Redis host.
    ///   - port: Redis port.
    ///   - connected: called after each successful subscription, with whether it is a reconnection.
    ///   - received: called for every message, in order.
    public static func listen(
        to channels: [String],
        host: String,
        port: Int,
        connected: @Sendable (_ reconnected: Bool) async -> Void = { _ in },
        received: @Sendable (RedisMessage) async -> Void
    ) async {
        var subscribedBefore = false
        while !Task.isCancelled {
            if let subscriber = try? await subscribe(to: channels, host: host, port: port) {
                await connected(subscribedBefore)
                subscribedBefore = true
                await withTaskCancellationHandler {
                    for await message in subscriber.messages { await received(message) }
                } onCancel: {
                    Task { await subscriber.close() }
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
