import EdgeCore
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Shared
import TestSupport
import Testing

@testable import EdgeGateway

/// The front door's timeouts on an `EmbeddedChannel`, on the event loop's time moved by hand: no sleeping.
@Suite struct FrontDoorTimeoutTests {
    static let host = "alpine.test"

    private func connection(limits: FrontDoorLimits) throws -> EmbeddedChannel {
        let registry = TenantRegistry(certificateDirectory: nil, logger: TestEnvironment.logger)
        registry.update([
            TenantDirectoryEntry(
                domain: HostName(normalising: Self.host)!,
                tenantID: TenantID("alpine")!,
                edge: TenantEdgeSettings(plainHTTP: true)
            )
        ])
        var configuration = EdgeConfiguration(origins: [HTTPEndpoint(host: "127.0.0.1", port: 1)])
        configuration.limits = limits
        let runtime = EdgeRuntime(
            configuration: configuration,
            registry: registry,
            client: try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton),
            accessLog: nil,
            logger: TestEnvironment.logger
        )
        let requestGuard = RequestGuard(limits: limits)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(requestGuard)
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits.decoderLimits))
        )
        try channel.pipeline.syncOperations.addHandler(EdgeHTTPHandler(plainListener: runtime, httpsPort: 8443, requestGuard: requestGuard))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        return channel
    }

    private func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// Slowloris: a head still incomplete at the head timeout gets 408 and the connection closes; not before.
    @Test func incompleteHeadTimesOut() throws {
        var limits = FrontDoorLimits()
        limits.requestHeadTimeout = .seconds(10)
        let channel = try connection(limits: limits)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: \(Self.host)\r\nX-Slow: "))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(try written(channel).isEmpty)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try written(channel).hasPrefix("HTTP/1.1 408"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// A body that pauses past the body-idle limit gets 408; bytes arriving in time keep it alive.
    @Test func stalledBodyTimesOut() throws {
        var limits = FrontDoorLimits()
        limits.requestBodyIdleTimeout = .seconds(30)
        limits.minimumRequestBodyBytesPerWindow = 0  // the pause alone (the rate: FrontDoorRateTimeoutTests)
        let channel = try connection(limits: limits)
        try channel.writeInbound(ByteBuffer(string: "POST /orders HTTP/1.1\r\nHost: \(Self.host)\r\nContent-Length: 100\r\n\r\n"))
        for _ in 0..<3 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(20))
            try channel.writeInbound(ByteBuffer(string: "x"))
        }
        #expect(try written(channel).isEmpty, "a body that keeps coming is not cut off")
        channel.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(try written(channel).hasPrefix("HTTP/1.1 408"))
    }

    /// A keep-alive connection with no request for the idle limit is closed without an answer.
    @Test func idleConnectionCloses() throws {
        var limits = FrontDoorLimits()
        limits.keepAliveIdleTimeout = .seconds(60)
        limits.firstRequestTimeout = .seconds(60)  // the idle alone (the first request: FrontDoorRateTimeoutTests)
        let channel = try connection(limits: limits)
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(try written(channel).isEmpty)
    }
}
