import EdgeCore
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Shared
import TestSupport
import Testing

@testable import EdgeGateway

/// The first-request timeout, the request body's minimum rate and the declared-length 413 on an
/// `EmbeddedChannel`, on the event loop's time moved by hand (issue 14: a TLS connection that never sent a
/// request waited out the 60 s keep-alive idle; a body dripped a byte a second stayed under the 30 s
/// body-idle limit).
@Suite struct FrontDoorRateTimeoutTests {
    static let host = "alpine.test"

    /// A plain-listener connection: guard, decoder and request handler, as `EdgeServer` builds it.
    private func connection(limits: FrontDoorLimits = FrontDoorLimits(), maximumBodySize: Int = 1024 * 1024) throws -> EmbeddedChannel {
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
        configuration.maximumRequestBodySize = maximumBodySize
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

    /// A connection that never sends a first request is closed after the first-request timeout (10 s),
    /// not the keep-alive idle (60 s).
    @Test func noFirstRequestCloses() throws {
        let channel = try connection()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(try written(channel).isEmpty)
    }

    /// After a first request the keep-alive idle applies between requests, not the first-request timeout.
    @Test func afterARequestKeepAliveIdleApplies() throws {
        let limits = FrontDoorLimits()
        let requestGuard = RequestGuard(limits: limits)
        let channel = EmbeddedChannel(handler: requestGuard)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        requestGuard.headReceived(expectsBody: false)
        requestGuard.responseSent()
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(31))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// A body dripped a byte a second (never pausing long) is cut with 408 once a 10 s window brought
    /// under 10 KB.
    @Test func drippedBodyIsCutOff() throws {
        let channel = try connection()
        try channel.writeInbound(ByteBuffer(string: "POST /orders HTTP/1.1\r\nHost: \(Self.host)\r\nContent-Length: 100000\r\n\r\n"))
        for _ in 0..<9 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try channel.writeInbound(ByteBuffer(string: "x"))
        }
        #expect(try written(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try written(channel).hasPrefix("HTTP/1.1 408"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// A body arriving faster than the minimum rate, however long it takes, is not cut off.
    @Test func bodyAboveTheMinimumRateGoesOn() throws {
        let channel = try connection()
        try channel.writeInbound(ByteBuffer(string: "POST /orders HTTP/1.1\r\nHost: \(Self.host)\r\nContent-Length: 500000\r\n\r\n"))
        let chunk = String(repeating: "x", count: 2_048)
        for _ in 0..<45 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            try channel.writeInbound(ByteBuffer(string: chunk))
        }
        #expect(try written(channel).isEmpty)
        #expect(channel.isActive)
    }

    /// A declared length over the limit is answered 413 and closed with no body byte sent.
    @Test func declaredLengthOverTheLimitIs413() throws {
        let channel = try connection(maximumBodySize: 1_000)
        try channel.writeInbound(ByteBuffer(string: "POST /orders HTTP/1.1\r\nHost: \(Self.host)\r\nContent-Length: 10000000000\r\n\r\n"))
        #expect(try written(channel).hasPrefix("HTTP/1.1 413"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// The caps count open connections overall and per address, and a closed connection frees its place.
    @Test func connectionCaps() {
        let cap = ConnectionCap(maximum: 3, maximumPerAddress: 2)
        #expect(cap.admit("10.0.0.1"))
        #expect(cap.admit("10.0.0.1"))
        #expect(!cap.admit("10.0.0.1"), "per address")
        #expect(cap.admit("10.0.0.2"))
        #expect(!cap.admit("10.0.0.3"), "overall")
        cap.release("10.0.0.1")
        #expect(cap.admit("10.0.0.3"))
        #expect(!cap.admit("10.0.0.1"), "overall again")
        cap.release("10.0.0.2")
        #expect(cap.admit("10.0.0.1"))
        #expect(cap.open == 3)
        let unlimited = ConnectionCap(maximum: 0, maximumPerAddress: 0)
        #expect((0..<1_000).allSatisfy { _ in unlimited.admit("10.0.0.1") })
    }
}
