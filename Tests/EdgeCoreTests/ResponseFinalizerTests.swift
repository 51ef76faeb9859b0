import EdgeCore
import Testing

@Suite struct ResponseFinalizerTests {
    typealias Finish = ResponseFinalizer.Finish

    private func finish(
        _ method: String = "GET",
        status: Int = 200,
        body: ResponseFinalizer.Body = .bytes(100),
        matched: Bool = false,
        keepAlive: Bool = true,
        last: Bool = false
    ) -> Finish {
        ResponseFinalizer.finish(method: method, status: status, body: body, validatorMatched: matched, keepAlive: keepAlive, lastOnConnection: last)
    }

    /// A plain hit: the status, the body, its exact length, the connection kept.
    @Test func plainResponse() {
        #expect(finish() == Finish(status: 200, sendsBody: true, length: .exact(100), closesConnection: false))
    }

    /// A matching `If-None-Match` on GET or HEAD turns any answer into a 304 without body or length.
    @Test(arguments: ["GET", "HEAD"])
    func matchingValidatorIsNotModified(method: String) {
        #expect(finish(method, matched: true) == Finish(status: 304, sendsBody: false, length: .none, closesConnection: false))
    }

    /// Other methods never get a 304 from a validator.
    @Test func validatorIgnoredForOtherMethods() {
        #expect(finish("POST", matched: true).status == 200)
    }

    /// HEAD sends the GET body's length and no body.
    @Test func headKeepsLengthWithoutBody() {
        #expect(finish("HEAD") == Finish(status: 200, sendsBody: false, length: .exact(100), closesConnection: false))
    }

    /// 1xx, 204 and 304 carry neither a body nor a length.
    @Test(arguments: [100, 204, 304])
    func statusesWithoutContent(status: Int) {
        #expect(finish(status: status) == Finish(status: status, sendsBody: false, length: .none, closesConnection: false))
    }

    /// An empty body: length 0, nothing to send.
    @Test func emptyBody() {
        #expect(finish(body: .bytes(0)) == Finish(status: 200, sendsBody: false, length: .exact(0), closesConnection: false))
    }

    /// A HEAD passed through keeps the origin's length; a relayed body keeps the origin's framing.
    @Test func originLengths() {
        #expect(finish("HEAD", body: .omitted) == Finish(status: 200, sendsBody: false, length: .asOrigin, closesConnection: false))
        #expect(finish(body: .streamed) == Finish(status: 200, sendsBody: true, length: .asOrigin, closesConnection: false))
        #expect(finish("HEAD", body: .streamed).sendsBody == false)
    }

    /// The connection closes when the client asked to, or when it is the last response of a drain.
    @Test func closeRule() {
        #expect(finish(keepAlive: false).closesConnection)
        #expect(finish(last: true).closesConnection)
        #expect(!finish(keepAlive: true, last: false).closesConnection)
    }
}
