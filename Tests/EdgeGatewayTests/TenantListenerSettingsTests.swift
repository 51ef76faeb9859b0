import EdgeGateway
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Shared
import TestSupport
import Testing

/// Per-tenant front-door settings: HSTS, plain HTTP behind a TLS-terminating load balancer; HTTP/2 limits.
@Suite struct TenantListenerSettingsTests {
    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page \(head.uri)")
        }
    }

    static func plain(_ path: String, host: String, port: Int) async throws -> HTTPClientResponse {
        let client = try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "host", value: host)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return try await client.execute(head, to: HTTPEndpoint(host: "127.0.0.1", port: port), on: loop, deadline: .now() + .seconds(5)).get()
    }

    @Test func hstsOnlyForTheTenantThatAsksForIt() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let settings = TenantEdgeSettings(hsts: HSTSPolicy(maxAge: 63_072_000, includeSubDomains: true))
        try await EdgeFixture.with(origins: [origin], alpineSettings: settings) { edge in
            let miss = try await edge.get("/p")
            let hit = try await edge.get("/p")
            #expect(miss.head.headers.first(name: "strict-transport-security") == "max-age=63072000; includeSubDomains")
            #expect(hit.head.headers.first(name: "x-cache") == "HIT")
            #expect(hit.head.headers.first(name: "strict-transport-security") == "max-age=63072000; includeSubDomains")
            let other = try await edge.get("/p", tenant: EdgeFixture.harbor)
            #expect(other.head.headers["strict-transport-security"].isEmpty)
        }
    }

    /// A tenant whose TLS ends at a load balancer is served on the plain listener; the others are redirected.
    @Test func plainHTTPServedOnlyWhereConfigured() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], alpineSettings: TenantEdgeSettings(plainHTTP: true)) { edge in
            let httpPort = try #require(edge.ports.http)
            let served = try await Self.plain("/p?b=2&a=1", host: "www.\(edge.alpineDomain.uppercased()):\(httpPort)", port: httpPort)
            #expect(served.head.status == .ok)
            #expect(String(buffer: served.body) == "page /p?a=1&b=2")
            #expect(served.head.headers.first(name: "x-cache") == "MISS")
            let redirected = try await Self.plain("/p?x=1", host: edge.harborDomain, port: httpPort)
            #expect(redirected.head.status == .permanentRedirect)
            #expect(redirected.head.headers.first(name: "location") == "https://\(edge.harborDomain):\(edge.ports.https)/p?x=1")
            let unknown = try await Self.plain("/", host: "unknown.test", port: httpPort)
            #expect(unknown.head.status == .misdirectedRequest)
            #expect(origin.requests.map(\.uri) == ["/p?a=1&b=2"])
        }
    }

    /// HTTP/2 limits are announced in the server's SETTINGS frame.
    /// The defaults, then what `--h2-max-streams` and `--max-headers-size` set.
    @Test(arguments: [(nil, nil), (64, 49_152)] as [(Int?, Int?)])
    func http2SettingsAreAnnounced(maximumStreams: Int?, maximumHeaders: Int?) async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let configure: (inout EdgeConfiguration) -> Void = { configuration in
            if let maximumStreams { configuration.limits.http2MaximumConcurrentStreams = maximumStreams }
            if let maximumHeaders { configuration.limits.maximumHeaderListSize = maximumHeaders }
        }
        try await EdgeFixture.with(origins: [origin], configure: configure) { edge in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(edge.caPath)
            tls.applicationProtocols = ["h2"]
            let context = try NIOSSLContext(configuration: tls)
            let received = NIOLockedValueBox<HTTP2Settings?>(nil)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: edge.alpineDomain))
                        try channel.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .client))
                        try channel.pipeline.syncOperations.addHandler(SettingsRecorder(received: received))
                    }
                }
                .connect(host: "127.0.0.1", port: edge.ports.https).get()
            defer { channel.close(promise: nil) }
            try await waitUntil("the server's SETTINGS frame") { received.withLockedValue { $0 } != nil }
            let settings = try #require(received.withLockedValue { $0 })
            let values = Dictionary(settings.map { ($0.parameter, $0.value) }, uniquingKeysWith: { $1 })
            #expect(values[.maxConcurrentStreams] == maximumStreams ?? 128)
            #expect(values[.maxHeaderListSize] == maximumHeaders ?? 32 * 1024)
            #expect(values[.initialWindowSize] == 1 << 20)
        }
    }
}

/// Keeps the first SETTINGS frame the server sends.
private final class SettingsRecorder: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    let received: NIOLockedValueBox<HTTP2Settings?>

    init(received: NIOLockedValueBox<HTTP2Settings?>) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .settings(.settings(let settings)) = unwrapInboundIn(data).payload {
            received.withLockedValue { if $0 == nil { $0 = settings } }
        }
    }
}
