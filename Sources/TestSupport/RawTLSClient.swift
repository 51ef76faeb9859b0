import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Sends raw bytes over TLS (with SNI) and collects what comes back, for tests of wire-level behaviour:
/// pipelining, malformed requests.
public enum RawTLSClient {
    /// Writes `request` and returns everything received until the server closes or `idle` passes without data
    /// (long enough that a test task scheduled late on a busy machine does not stop listening early).
    public static func exchange(
        _ request: String,
        port: Int,
        serverName: String,
        caPath: String,
        idle: TimeAmount = .seconds(2)
    ) async throws -> String {
        let connection = try await RawTLSConnection.connect(port: port, serverName: serverName, caPath: caPath)
        try await connection.send(request)
        var lastSize = -1
        while connection.isActive {
            try await Task.sleep(for: .nanoseconds(idle.nanoseconds))
            let size = connection.receivedCount
            if size == lastSize { break }
            lastSize = size
        }
        await connection.close()
        return String(buffer: connection.receivedBytes)
    }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<ByteBuffer>
        let pauseAfter: Int?
        private var paused = false

        init(received: NIOLockedValueBox<ByteBuffer>, pauseAfter: Int? = nil) {
            self.received = received
            self.pauseAfter = pauseAfter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let total = received.withLockedValue { received in
                received.writeBuffer(&buffer)
                return received.readableBytes
            }
            // Stop reading on the event loop itself, the moment the first bytes are in: a test task that is
            // scheduled late cannot let the whole response through first.
            if let pauseAfter, !paused, total >= pauseAfter {
                paused = true
                _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
            }
        }
    }
}

/// A TLS connection (with SNI, HTTP/1.1 by ALPN) whose reading a test can stop and restart, to play a slow
/// client.
public final class RawTLSConnection: Sendable {
    private let channel: Channel
    private let received: NIOLockedValueBox<ByteBuffer>

    private init(channel: Channel, received: NIOLockedValueBox<ByteBuffer>) {
        self.channel = channel
        self.received = received
    }

    /// Connects and completes the handshake.
    /// - Parameter pauseAfter: stop reading (as ``setReading(_:)`` with `false`) as soon as this many bytes
    ///   arrived, on the event loop.
    public static func connect(port: Int, serverName: String, caPath: String, pauseAfter: Int? = nil) async throws -> RawTLSConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let received = NIOLockedValueBox(ByteBuffer())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(RawTLSClient.Collector(received: received, pauseAfter: pauseAfter))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawTLSConnection(channel: channel, received: received)
    }

    /// Sends raw bytes.
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Stops or restarts reading from the socket (what a client that does not read looks like).
    public func setReading(_ reading: Bool) async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: reading).get()
        if reading { channel.read() }
    }

    /// How many bytes arrived so far.
    public var receivedCount: Int { received.withLockedValue { $0.readableBytes } }

    /// Everything received so far.
    public var receivedBytes: ByteBuffer { received.withLockedValue { $0 } }

    /// Whether the server still has the connection open.
    public var isActive: Bool { channel.isActive }

    public func close() async {
        try? await channel.close()
    }
}
