import NIOCore
import NIOHTTP1
import Testing

@testable import EdgeGateway

/// The HTTP/1 connection's transitions, read as transcripts: event in, action out.
@Suite struct HTTP1ConnectionStateMachineTests {
    private func machine(pipelining: Bool = true) -> HTTP1ConnectionStateMachine {
        HTTP1ConnectionStateMachine(maximumBodySize: 10, pipelining: pipelining)
    }

    private let get = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a")

    private func isProcess(_ action: HTTP1ConnectionStateMachine.ReadAction, uri: String, bodyBytes: Int? = nil) -> Bool {
        guard case .process(let head, let body) = action else { return false }
        return head.uri == uri && body?.readableBytes == bodyBytes
    }

    /// A GET: head starts the request, end hands it to the pipeline, the response returns to idle.
    @Test func requestThenKeepAlive() {
        var connection = machine()
        guard case .startRequest = connection.partRead(.head(get)) else {
            Issue.record("head not started")
            return
        }
        connection.targetNormalised("/a?x=1")
        let read = connection.partRead(.end(nil))
        #expect(isProcess(read, uri: "/a?x=1"))
        let completion = connection.responseCompleted(closeAfter: false)
        #expect(completion == .continueReading)
        #expect(connection.isIdle)
    }

    /// A body is collected up to the limit; past it, 413 and close.
    @Test func bodyLimit() {
        var connection = machine()
        _ = connection.partRead(.head(get))
        guard case .none = connection.partRead(.body(ByteBuffer(string: "12345"))) else {
            Issue.record("body refused early")
            return
        }
        guard case .refuseAndClose(_, .payloadTooLarge, _) = connection.partRead(.body(ByteBuffer(string: "123456"))) else {
            Issue.record("no 413 past the limit")
            return
        }
        guard case .none = connection.partRead(.end(nil)) else {
            Issue.record("a closing connection read on")
            return
        }
        let completion = connection.responseCompleted(closeAfter: true)
        #expect(completion == .close)
    }

    /// Requests pipelined behind the one being answered wait, then replay in order.
    @Test func pipelinedRequestsQueueAndReplay() {
        var connection = machine()
        _ = connection.partRead(.head(get))
        _ = connection.partRead(.end(nil))
        let second = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/b")
        guard case .none = connection.partRead(.head(second)) else {
            Issue.record("pipelined head not queued")
            return
        }
        guard case .none = connection.partRead(.end(nil)) else {
            Issue.record("pipelined end not queued")
            return
        }
        let queued = connection.nextQueuedPart()
        #expect(queued == nil, "nothing replays while the first is answered")
        let completion = connection.responseCompleted(closeAfter: false)
        #expect(completion == .continueReading)
        guard case .head(let replayed) = connection.nextQueuedPart() else {
            Issue.record("queued head not replayed")
            return
        }
        #expect(replayed.uri == "/b")
        guard case .startRequest = connection.partRead(.head(replayed)) else {
            Issue.record("replayed head not started")
            return
        }
        guard case .end = connection.nextQueuedPart() else {
            Issue.record("queued end not replayed")
            return
        }
        let read = connection.partRead(.end(nil))
        #expect(isProcess(read, uri: "/b"))
        let queued2 = connection.nextQueuedPart()
        #expect(queued2 == nil)
    }

    /// Too many pipelined parts close the connection.
    @Test func queueIsBounded() {
        var connection = machine()
        _ = connection.partRead(.head(get))
        _ = connection.partRead(.end(nil))
        var last = HTTP1ConnectionStateMachine.ReadAction.none
        for _ in 0...HTTP1ConnectionStateMachine.maximumQueuedParts { last = connection.partRead(.end(nil)) }
        guard case .close = last else {
            Issue.record("an unbounded queue")
            return
        }
    }

    /// A drain while idle closes at once; while answering, the answer is the last.
    @Test func drain() {
        var idle = machine()
        let closesNow = idle.quiesced()
        #expect(closesNow)

        var busy = machine()
        _ = busy.partRead(.head(get))
        _ = busy.partRead(.end(nil))
        let closesNow2 = busy.quiesced()
        #expect(!closesNow2)
        #expect(busy.lastOnConnection)
        let completion = busy.responseCompleted(closeAfter: false)
        #expect(completion == .close)
    }

    /// A drain with a request queued: the first answer keeps the connection for the queued one, which is last.
    @Test func drainWithQueuedRequest() {
        var connection = machine()
        _ = connection.partRead(.head(get))
        _ = connection.partRead(.end(nil))
        _ = connection.partRead(.head(get))
        _ = connection.partRead(.end(nil))
        let closesNow = connection.quiesced()
        #expect(!closesNow)
        #expect(!connection.lastOnConnection)
        let completion = connection.responseCompleted(closeAfter: false)
        #expect(completion == .continueReading)
        _ = connection.partRead(connection.nextQueuedPart()!)
        _ = connection.partRead(connection.nextQueuedPart()!)
        #expect(connection.lastOnConnection)
        let completion2 = connection.responseCompleted(closeAfter: false)
        #expect(completion2 == .close)
    }

    /// Garbage behind a request in progress is answered (400) only after it, then the connection closes.
    @Test func malformedAfterPipelinedRequest() {
        var connection = machine()
        _ = connection.partRead(.head(get))
        _ = connection.partRead(.end(nil))
        let answerNow = connection.malformedRead(.badRequest)
        #expect(answerNow == nil)
        let completion = connection.responseCompleted(closeAfter: false)
        #expect(completion == .continueReading)
        let malformed = connection.takeQueuedMalformed()
        #expect(malformed == .badRequest)
        let malformed2 = connection.takeQueuedMalformed()
        #expect(malformed2 == nil)
        let completion2 = connection.responseCompleted(closeAfter: false)
        #expect(completion2 == .close)
    }

    /// Garbage with nothing in progress is answered at once.
    @Test func malformedWhenIdle() {
        var connection = machine()
        let answerNow = connection.malformedRead(.requestHeaderFieldsTooLarge)
        #expect(answerNow == .requestHeaderFieldsTooLarge)
    }

    /// A relay in progress is a response in progress: requests queue behind it; the client going away closes.
    @Test func writingThenGone() {
        var connection = machine()
        _ = connection.partRead(.head(get))
        _ = connection.partRead(.end(nil))
        connection.streamingStarted()
        guard case .none = connection.partRead(.head(get)) else {
            Issue.record("request during a relay not queued")
            return
        }
        connection.closed()
        guard case .none = connection.partRead(.end(nil)) else {
            Issue.record("a closed connection read on")
            return
        }
        let completion = connection.responseCompleted(closeAfter: false)
        #expect(completion == .close)
    }

    /// An HTTP/2 stream carries one request: a part after it is a protocol error, and a drain never closes it.
    @Test func streamWithoutPipelining() {
        var stream = machine(pipelining: false)
        _ = stream.partRead(.head(get))
        _ = stream.partRead(.end(nil))
        let closesNow = stream.quiesced()
        #expect(!closesNow)
        #expect(!stream.lastOnConnection)
        guard case .close = stream.partRead(.head(get)) else {
            Issue.record("a second request on a stream")
            return
        }
    }
}

extension HTTP1ConnectionStateMachineTests {
    /// A connection accepted after the drain began answers one request (its last) instead of dropping it.
    @Test func acceptedWhileDrainingAnswersOneRequest() {
        var connection = HTTP1ConnectionStateMachine(maximumBodySize: 10, pipelining: true)
        connection.acceptedWhileDraining()
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a")
        guard case .startRequest = connection.partRead(.head(head)) else {
            Issue.record("the request after a drain began was dropped")
            return
        }
        let read = connection.partRead(.end(nil))
        guard case .process = read else {
            Issue.record("the request was not processed")
            return
        }
        #expect(connection.lastOnConnection)
        let completion = connection.responseCompleted(closeAfter: false)
        #expect(completion == .close)
    }
}
