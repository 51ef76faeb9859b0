import EdgeGateway
import Foundation
import NIOCore
import TestSupport
import Testing

/// The HTTP/2 front door (issue 14), driven by a frame-level client (``H2Probe``): fields relayed from
/// HTTP/1 origins are valid HTTP/2 fields on both paths (hit and stream channel); the header list limit is
/// announced and enforced; the known floods are cut with GOAWAY while other clients keep being served;
/// stream-state errors get the connection or stream error RFC 9113 §5.1 and §5.4.1 require.
@Suite(.enabled(if: H2Probe.unavailable == nil, "needs python3 with the h2 package (pip install h2)"))
struct HTTP2FrontDoorTests {
    static func origin() async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(
                headers: [
                    ("Cache-Control", "public, s-maxage=60"),
                    ("Content-Type", "text/html "),
                    ("X-Foo", "bar "),
                    ("X-Tabbed", "\tbaz\t"),
                    ("Keep-Alive", "timeout=5"),
                    ("Proxy-Connection", "keep-alive"),
                ],
                body: "page \(head.uri)",
                delay: head.uri.hasSuffix("/slow") ? .milliseconds(300) : nil
            )
        }
    }

    static func responses(_ report: [String: Any]) -> [[String: Any]] {
        report["responses"] as? [[String: Any]] ?? []
    }

    static func field(_ name: String, in response: [String: Any]) -> [String] {
        (response["headers"] as? [[String]] ?? []).filter { $0.first == name }.map { $0[1] }
    }

    /// An origin's `X-Foo: bar ` (trailing whitespace, legal in HTTP/1.1) reaches a strict HTTP/2 client as
    /// `bar`, on the miss (stream channel) and on the hit (answered on the connection); leading and
    /// trailing tabs are trimmed too, and HTTP/1's connection-specific fields are not sent. Before the
    /// fix h2 refused the response (a protocol error), as browsers did.
    @Test func fieldValuesFromHTTP1OriginsAreTrimmedOnBothPaths() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let report = try await H2Probe.run("get", "/products/1,/products/1", edge: edge)
            let responses = Self.responses(report)
            #expect(responses.count == 2)
            #expect(responses.allSatisfy { $0["error"] == nil }, "\(responses.compactMap { $0["error"] })")
            #expect(responses.map { Self.field("x-cache", in: $0) } == [["MISS"], ["HIT"]])
            for response in responses {
                #expect(response["status"] as? Int == 200)
                #expect(Self.field("x-foo", in: response) == ["bar"])
                #expect(Self.field("x-tabbed", in: response) == ["baz"])
                #expect(Self.field("content-type", in: response) == ["text/html"])
                #expect(Self.field("keep-alive", in: response).isEmpty)
                #expect(Self.field("proxy-connection", in: response).isEmpty)
                #expect(response["body"] as? String == "page /products/1")
            }
        }
    }

    /// SETTINGS_MAX_HEADER_LIST_SIZE is 32 KiB (HTTP/1's total), and a request above it is refused: the
    /// connection gets GOAWAY; the next connection is served.
    @Test func headerListSizeIsAnnouncedAndEnforced() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let report = try await H2Probe.run("get", "/products/2", edge: edge)
            #expect(report["maxHeaderListSize"] as? Int == 32 * 1024)
            let fits = try await H2Probe.run("big-headers", "24000", edge: edge)
            #expect(fits["goaway"] is NSNull, "\(fits)")
            #expect(fits["endStreams"] as? [Int] == [1], "\(fits)")
            let tooLarge = try await H2Probe.run("big-headers", "40000", edge: edge)
            #expect(tooLarge["goaway"] is Int, "\(tooLarge)")
            #expect(tooLarge["endStreams"] as? [Int] == [], "\(tooLarge)")
            try await Self.expectServed(edge)
        }
    }

    /// Rapid reset (CVE-2023-44487), CONTINUATION flood (CVE-2024-27316), SETTINGS and PING floods: each
    /// flooding connection gets GOAWAY (ENHANCE_YOUR_CALM, or PROTOCOL_ERROR for the CONTINUATION run) and
    /// is closed; a client on another connection is served after each.
    @Test(arguments: ["rapid-reset", "continuation", "settings", "ping"])
    func floodsAreCutWithGoaway(mode: String) async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let report = try await H2Probe.run(mode, "1000", edge: edge)
            let code = report["goaway"] as? Int
            #expect(code == 0xB || (mode == "continuation" && code != nil && code != 0), "\(report)")
            #expect(report["closed"] as? Bool == true, "\(report)")
            try await Self.expectServed(edge)
        }
    }

    /// RFC 9113 §5.1 and §5.1.1: DATA on an idle stream, a client stream with an even id or a lower id than
    /// one already used are connection errors (GOAWAY PROTOCOL_ERROR); DATA on a stream the server closed,
    /// or one the client had ended, is STREAM_CLOSED (as a stream error, RST_STREAM, or a connection error).
    @Test func streamStateErrorsAreAnsweredAsRFC9113Requires() async throws {
        let origin = try await Self.origin()
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            for mode in ["idle-data", "even-stream", "lower-stream"] {
                let report = try await H2Probe.run(mode, edge: edge)
                #expect(report["goaway"] as? Int == 0x1, "\(mode): \(report)")
            }
            for mode in ["closed-data", "half-closed-data"] {
                let report = try await H2Probe.run(mode, edge: edge)
                let reset = (report["rst"] as? [[Int]] ?? []).contains([1, 0x5])
                #expect(reset || report["goaway"] as? Int == 0x5, "\(mode): \(report)")
            }
            try await Self.expectServed(edge)
        }
    }

    static func expectServed(_ edge: EdgeFixture) async throws {
        let after = Self.responses(try await H2Probe.run("get", "/products/after", edge: edge))
        #expect(after.first?["status"] as? Int == 200, "\(after)")
    }
}
