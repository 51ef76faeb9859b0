import EdgeGateway
import Foundation
import NIOCore
import TestSupport
import Testing

/// The HTTP/2 connection's timeouts (issue 14), driven by the frame-level client (``H2Probe``): a connection
/// with no stream open ends with GOAWAY `NO_ERROR` after the idle timeout (before, it stayed open for as
/// long as the client liked), and a client that announces a 1-byte window and never opens it, on twenty
/// streams of 20 KB pages, gets GOAWAY `ENHANCE_YOUR_CALM` after the send timeout while another client is
/// served.
@Suite(.enabled(if: H2Probe.unavailable == nil, "needs python3 with the h2 package (pip install h2)"))
struct HTTP2TimeoutTests {
    static let page = String(repeating: "p", count: 20_000)

    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(
                headers: [("cache-control", "public, s-maxage=60")],
                body: head.uri.hasPrefix("/h2probe/big") ? page : "page \(head.uri)"
            )
        }
    }

    @Test func anIdleConnectionGetsGoaway() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        let quick: (inout EdgeConfiguration) -> Void = { configuration in
            configuration.limits.firstRequestTimeout = .seconds(1)
            configuration.limits.keepAliveIdleTimeout = .seconds(1)
        }
        try await EdgeFixture.with(origins: [origin], configure: quick) { edge in
            let report = try await H2Probe.run("idle", "10", edge: edge)
            #expect(report["goaway"] as? Int == 0, "\(report)")
            #expect(report["closed"] as? Bool == true, "\(report)")
            // A connection that had a stream is held to the idle timeout after it, too.
            let served = try await Curl.requests(["/a", "/b"], port: edge.ports.https, serverName: edge.alpineDomain, caPath: edge.caPath)
            #expect(served.map(\.status) == [200, 200])
        }
    }

    @Test func aClientThatNeverOpensItsWindowsIsCut() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.limits.slowReadTimeout = .seconds(1) }) { edge in
            // Half the pages cached first, so that both the hit path and the stream channels are held.
            for index in 0..<10 { _ = try await edge.get("/h2probe/big/\(index)") }
            let report = try await H2Probe.run("tiny-window", "20", edge: edge)
            #expect(report["goaway"] as? Int == 11, "ENHANCE_YOUR_CALM: \(report)")
            #expect(report["closed"] as? Bool == true, "\(report)")
            #expect((report["dataBytes"] as? Int ?? .max) <= 20, "one byte per stream at most: \(report)")
            let other = try await Curl.get("/h2probe/big/3", port: edge.ports.https, serverName: edge.alpineDomain, caPath: edge.caPath)
            #expect(other.status == 200)
            #expect(other.body.count == Self.page.utf8.count)
        }
    }
}
