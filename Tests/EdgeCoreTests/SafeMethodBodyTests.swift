import EdgeCore
import Foundation
import Shared
import Testing

@Suite struct SafeMethodBodyTests {
    /// A GET or HEAD that declares a body, by length or by chunked coding, is refused.
    @Test func aDeclaredBodyOnGetOrHeadIsRefused() {
        #expect(RequestHygiene.bodyRefusal(method: "GET", contentLength: "5", transferEncoding: []) == .bodyOnSafeMethod)
        #expect(RequestHygiene.bodyRefusal(method: "HEAD", contentLength: "10000000000", transferEncoding: []) == .bodyOnSafeMethod)
        #expect(RequestHygiene.bodyRefusal(method: "GET", contentLength: nil, transferEncoding: ["chunked"]) == .bodyOnSafeMethod)
        #expect(
            RequestHygiene.check(method: "GET", contentLength: "5", target: "/", isHTTP10: false, transferEncoding: [], host: "shop.test")
                == .failure(.bodyOnSafeMethod)
        )
    }

    /// No body, an empty one, or a body on another method goes on.
    @Test func noBodyOrAnotherMethodGoesOn() {
        #expect(RequestHygiene.bodyRefusal(method: "GET", contentLength: nil, transferEncoding: []) == nil)
        #expect(RequestHygiene.bodyRefusal(method: "GET", contentLength: "0", transferEncoding: []) == nil)
        #expect(RequestHygiene.bodyRefusal(method: "HEAD", contentLength: "00", transferEncoding: []) == nil)
        #expect(RequestHygiene.bodyRefusal(method: "POST", contentLength: "5", transferEncoding: []) == nil)
        #expect(RequestHygiene.bodyRefusal(method: "DELETE", contentLength: nil, transferEncoding: ["chunked"]) == nil)
    }

    /// A tenant's forwarded override fields default to none and are kept lower-case.
    @Test func forwardRequestHeadersDecodeWithADefault() throws {
        let absent = try JSONDecoder().decode(TenantEdgeSettings.self, from: Data("{}".utf8))
        #expect(absent.forwardRequestHeaders == [])
        let set = try JSONDecoder().decode(TenantEdgeSettings.self, from: Data(#"{"forwardRequestHeaders":["X-Forwarded-Prefix"]}"#.utf8))
        #expect(set.forwardRequestHeaders == ["x-forwarded-prefix"])
        let tooMany = Data(#"{"forwardRequestHeaders":[\#((0..<21).map { "\"x-\($0)\"" }.joined(separator: ","))]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TenantEdgeSettings.self, from: tooMany) }
    }
}
