import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Sends raw bytes over TLS (with SNI) and collects what comes back, for tests of wire-level behaviour:
/// pipelining, malformed requests.
public enum RawTLSClient {
    /// Writes `request` and returns everything received until the server closes or `idle` passes without data.
    public static func exchange(
        _ request: String,
        port: Int,
        serverName: String,
        caPath: String,
        idle: TimeAmount = .milliseconds(500)
    ) async throws -> String {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let received = NIOLockedValueBox(ByteBuffer())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        var lastSize = -1
        while channel.isActive {
            try await Task.sleep(for: .nanoseconds(idle.nanoseconds))
            let size = received.withLockedValue { $0.readableBytes }
            if size == lastSize { break }
            lastSize = size
        }
        try? await channel.close()
        return received.withLockedValue { String(buffer: $0) }
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<ByteBuffer>

        init(received: NIOLockedValueBox<ByteBuffer>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received.withLockedValue { $0.writeBuffer(&buffer) }
        }
    }
}
