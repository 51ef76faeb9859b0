import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import EdgeGateway

/// What an HTTP/1 origin's response field becomes on HTTP/2 (``HTTP2Fields``, ``HTTP2ResponseFields``):
/// trimmed of optional whitespace, or not sent when HTTP/2 forbids it.
@Suite struct HTTP2FieldsTests {
    static func trimmed(_ value: String) -> String? {
        HTTP2Fields.trimmed(Array(value.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func optionalWhitespaceIsTrimmed() {
        #expect(Self.trimmed("bar ") == "bar")
        #expect(Self.trimmed("\t bar \t") == "bar")
        #expect(Self.trimmed("a b") == "a b")
        #expect(Self.trimmed("   ") == "")
        #expect(Self.trimmed("") == "")
    }

    @Test func controlCharactersMakeAValueUnsendable() {
        #expect(Self.trimmed("a\rb") == nil)
        #expect(Self.trimmed("a\nb") == nil)
        #expect(Self.trimmed("a\u{0}b") == nil)
        #expect(Self.trimmed("ab \r\n") == nil)
    }

    @Test func connectionSpecificFieldsInAnyCase() {
        for name in ["Connection", "keep-alive", "PROXY-CONNECTION", "Transfer-Encoding", "upgrade"] {
            #expect(HTTP2Fields.isConnectionSpecific(Array(name.utf8)), "\(name)")
        }
        for name in ["content-type", "te", "connectionx", "x-upgrade", "keep_alive", "Upgrade-Insecure-Requests"] {
            #expect(!HTTP2Fields.isConnectionSpecific(Array(name.utf8)), "\(name)")
        }
    }

    /// On a stream channel: a clean head passes as it is; a head with a padded value, a value with CR LF
    /// and a connection-specific field goes out trimmed, without the two others; trailers too.
    @Test func streamChannelHeadsAndTrailersAreMadeValid() throws {
        let channel = EmbeddedChannel(handler: HTTP2ResponseFields(logger: Logger(label: "test")))
        defer { _ = try? channel.finish() }
        let clean: HTTPHeaders = ["content-type": "text/html", "x-a": "b"]
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: clean)))
        guard case .head(let passed) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no head")
            return
        }
        #expect(passed.headers == clean)

        let dirty: HTTPHeaders = [
            "X-Foo": "bar ", "Set-Cookie": "a=1", "X-Split": "a\r\nInjected: 1", "Keep-Alive": "timeout=5", "X-Tab": "\tv",
        ]
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: dirty)))
        guard case .head(let sanitized) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no head")
            return
        }
        #expect(sanitized.headers.map { "\($0.name): \($0.value)" } == ["X-Foo: bar", "Set-Cookie: a=1", "X-Tab: v"])

        try channel.writeOutbound(HTTPServerResponsePart.end(["grpc-status": " 0 ", "x-bad": "\0"]))
        guard case .end(let trailers) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no end")
            return
        }
        #expect(trailers?.map { "\($0.name): \($0.value)" } == ["grpc-status: 0"])
    }
}
