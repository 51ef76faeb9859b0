import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// A tenant whose shoppers carry large cookies raises its header limits: on its HTTPS connections (SNI
/// chooses the limits before any byte of HTTP) a 20 KB cookie is served on HTTP/1.1, and 48 KB of headers
/// on HTTP/2, while the other tenant keeps the edge's 8 KiB field and 32 KiB list (431 on HTTP/1.1, GOAWAY on
/// HTTP/2). On HTTP/2 the frame-level client waits for the edge's SETTINGS and acknowledges them first: until
/// then NIO's header decoder holds any connection to 16 KiB (see docs/security.md).
@Suite struct TenantHeaderLimitsTests {
    static let raised = TenantEdgeSettings(requestHeaderLimits: RequestHeaderLimits(maximumFieldSize: 32_768, maximumListSize: 65_536))
    static let cookie = "Cookie: session=\(String(repeating: "c", count: 20_000))"

    @Test func aTenantWithRaisedLimitsTakesLargeCookiesAndTheOtherDoesNot() async throws {
        let origin = try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "cookie of \(head.headers.first(name: "cookie")?.count ?? 0) bytes")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], alpineSettings: Self.raised) { edge in
            for domain in [edge.alpineDomain, edge.harborDomain] {
                let wire = "GET /a HTTP/1.1\r\nHost: \(domain)\r\n\(Self.cookie)\r\nConnection: close\r\n\r\n"
                let answer = try await RawTLSClient.exchange(wire, port: edge.ports.https, serverName: domain, caPath: edge.caPath)
                if domain == edge.alpineDomain {
                    #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(answer.prefix(80))")
                    #expect(answer.contains("cookie of 20008 bytes"))
                } else {
                    #expect(answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large"), "\(answer.prefix(80))")
                }
            }
            if let unavailable = H2Probe.unavailable {
                Issue.record("HTTP/2 half not run: \(unavailable)")
                return
            }
            let alpine = try await H2Probe.run("big-headers", "48000", edge: edge)
            #expect(alpine["goaway"] is NSNull, "\(alpine)")
            #expect(alpine["endStreams"] as? [Int] == [1], "\(alpine)")
            let harbor = try await H2Probe.run("big-headers", "40000", edge: edge, serverName: edge.harborDomain)
            #expect(harbor["goaway"] is Int, "\(harbor)")
            #expect(harbor["endStreams"] as? [Int] == [], "\(harbor)")
        }
    }

    @Test func limitsAreBoundedWhenDecoded() throws {
        #expect(Self.raised.requestHeaderLimits?.isValid == true)
        #expect(RequestHeaderLimits(maximumFieldSize: 100).isValid == false)
        #expect(RequestHeaderLimits(maximumListSize: 1 << 20).isValid == false)
        #expect(RequestHeaderLimits(maximumFieldSize: 16_384, maximumListSize: 8192).isValid == false)
    }
}
