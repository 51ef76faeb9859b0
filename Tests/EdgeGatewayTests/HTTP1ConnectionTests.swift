import EdgeCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Shared
import TestSupport
import Testing

@testable import EdgeGateway

/// The HTTP/1 connection on an `EmbeddedChannel`: the real request guard, decoder and handler on the plain
/// listener, answers from the cache (no origin is reachable), bytes in and bytes out.
@Suite struct HTTP1ConnectionTests {
    static let tenant = TenantID("alpine")!
    static let host = "alpine.test"

    /// An edge runtime with one plain-HTTP tenant and `pages` stored (path → body).
    private func makeRuntime(pages: [String: String], plainHTTP: Bool = true) throws -> EdgeRuntime {
        let registry = TenantRegistry(certificateDirectory: nil, logger: TestEnvironment.logger)
        registry.update([
            TenantDirectoryEntry(
                domain: HostName(normalising: Self.host)!,
                tenantID: Self.tenant,
                edge: TenantEdgeSettings(plainHTTP: plainHTTP)
            )
        ])
        let configuration = EdgeConfiguration(origins: [HTTPEndpoint(host: "127.0.0.1", port: 1)])
        let runtime = EdgeRuntime(
            configuration: configuration,
            registry: registry,
            client: try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton),
            accessLog: nil,
            logger: TestEnvironment.logger
        )
        for (path, body) in pages { store(body, at: path, in: runtime) }
        return runtime
    }

    private func key(_ path: String, in runtime: EdgeRuntime) -> CacheKey {
        let settings = runtime.registry.snapshot.settings(for: Self.tenant)
        return runtime.cacheRoute(tenant: Self.tenant, settings: settings, method: "GET", target: path) { _ in [] }.key!
    }

    private func store(_ body: String, at path: String, in runtime: EdgeRuntime, status: HTTPResponseStatus = .ok) {
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "cache-control", value: "s-maxage=60")
        let response = CachedResponse(head: head, body: ByteBuffer(string: body), compact: true)
        runtime.cache.store(key(path, in: runtime), payload: response, size: response.cost, now: runtime.now(), ttlSeconds: 60)
    }

    private func connection(_ runtime: EdgeRuntime) throws -> EmbeddedChannel {
        let limits = runtime.configuration.limits
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

    private func send(_ text: String, on channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything the handler wrote so far, as text.
    private func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    private func request(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(Self.host)\r\n\(extra)\r\n"
    }

    /// Two requests in one packet are answered in order, each in full, and the connection stays open.
    @Test func pipelinedRequestsAnsweredInOrder() throws {
        let channel = try connection(try makeRuntime(pages: ["/a": "page a", "/b": "page b"]))
        try send(request("/a") + request("/b"), on: channel)
        let out = try written(channel)
        let first = try #require(out.range(of: "page a"))
        let second = try #require(out.range(of: "page b"))
        #expect(first.upperBound <= second.lowerBound)
        #expect(out.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        #expect(!out.contains("connection: close"))
        #expect(channel.isActive)
    }

    /// `Connection: close` is answered with `connection: close`, and the connection then closes.
    @Test func connectionCloseClosesAfterResponse() throws {
        let channel = try connection(try makeRuntime(pages: ["/a": "page a"]))
        try send(request("/a", "Connection: close\r\n"), on: channel)
        let out = try written(channel)
        #expect(out.contains("page a"))
        #expect(out.contains("connection: close\r\n"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// A drain that begins while a request waits for its answer: the answer still comes, says
    /// `connection: close`, and the connection closes after it.
    @Test func drainInTheMiddleOfAResponse() throws {
        let runtime = try makeRuntime(pages: [:])
        let channel = try connection(runtime)
        // Another request is already fetching /slow: this one waits for it (coalesced).
        let slow = key("/slow", in: runtime)
        #expect(runtime.coalescer.join(slow, waiter: CoalescedWaiter { _ in }) == .leader)
        try send(request("/slow"), on: channel)
        #expect(try written(channel).isEmpty)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(channel.isActive, "a connection with a request in flight stays open for its answer")

        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "cache-control", value: "s-maxage=60")
        let answer = CachedResponse(head: head, body: ByteBuffer(string: "slow page"))
        runtime.wakeWaiters(slow, .response(answer, initialAge: 0, receivedAt: runtime.now()))
        channel.embeddedEventLoop.run()
        let out = try written(channel)
        #expect(out.hasPrefix("HTTP/1.1 200 OK"))
        #expect(out.contains("slow page"))
        #expect(out.contains("connection: close\r\n"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// A drain with nothing in flight closes the idle keep-alive connection at once.
    @Test func drainClosesIdleConnection() throws {
        let channel = try connection(try makeRuntime(pages: ["/a": "page a"]))
        try send(request("/a"), on: channel)
        _ = try written(channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// A client that goes away in the middle of its request body gets nothing, and nothing is sent on.
    @Test func clientGoneMidBody() throws {
        let runtime = try makeRuntime(pages: [:])
        let channel = try connection(runtime)
        try send("POST /orders HTTP/1.1\r\nHost: \(Self.host)\r\nContent-Length: 10\r\n\r\n12345", on: channel)
        try channel.close().wait()
        channel.embeddedEventLoop.run()
        #expect(try written(channel).isEmpty)
        #expect(runtime.pool.members.allSatisfy { $0.requests == 0 }, "no request reached an origin")
    }

    /// A request body over the limit is refused with 413 and the connection closes; nothing is forwarded.
    @Test func oversizedBodyRefused() throws {
        let runtime = try makeRuntime(pages: [:])
        let channel = try connection(runtime)
        let size = runtime.configuration.maximumRequestBodySize + 1
        try send("POST /orders HTTP/1.1\r\nHost: \(Self.host)\r\nContent-Length: \(size)\r\n\r\n", on: channel)
        try channel.writeInbound(ByteBuffer(repeating: 0x41, count: size))
        let out = try written(channel)
        #expect(out.hasPrefix("HTTP/1.1 413"))
        #expect(out.contains("connection: close\r\n"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(runtime.pool.members.allSatisfy { $0.requests == 0 })
    }

    /// A request for another host than a storefront's: 421, and the connection closes.
    @Test func unknownHostMisdirected() throws {
        let channel = try connection(try makeRuntime(pages: [:]))
        try send("GET / HTTP/1.1\r\nHost: elsewhere.test\r\n\r\n", on: channel)
        #expect(try written(channel).hasPrefix("HTTP/1.1 421"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// A tenant served over HTTPS only, asked on the plain listener: a permanent redirect a client may keep
    /// (no `Cache-Control: no-store`), and the connection closes.
    @Test func plainListenerRedirectsToHTTPS() throws {
        let channel = try connection(try makeRuntime(pages: [:], plainHTTP: false))
        try send(request("/products/a?x=1"), on: channel)
        let out = try written(channel)
        #expect(out.hasPrefix("HTTP/1.1 308"))
        #expect(out.contains("location: https://\(Self.host):8443/products/a?x=1\r\n"))
        #expect(!out.lowercased().contains("cache-control"))
        #expect(out.contains("connection: close\r\n"))
    }

    /// A status NIO has no name for keeps the origin's reason phrase on the way out.
    @Test func unknownStatusKeepsItsReasonPhrase() throws {
        let runtime = try makeRuntime(pages: [:])
        store("gone fishing", at: "/odd", in: runtime, status: .custom(code: 299, reasonPhrase: "Gone Fishing"))
        let channel = try connection(runtime)
        try send(request("/odd"), on: channel)
        #expect(try written(channel).hasPrefix("HTTP/1.1 299 Gone Fishing\r\n"))
    }
}
