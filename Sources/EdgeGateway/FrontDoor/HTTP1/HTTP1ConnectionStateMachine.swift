import NIOCore
import NIOHTTP1

/// Where one HTTP/1 connection is, as the request handler sees it, and what to do on each event.
///
/// ```
///  idle ──head──▶ readingBody ──end──▶ waiting ──(relay starts)──▶ writing
///    ▲                │ too large        │                            │
///    └────────────────┼──response done───┴────────────────────────────┘
///                     ▼          (close rule, or drain with nothing queued)
///                  closing ◀─────────────────────────────────────────────
/// ```
///
/// Reading the request head byte by byte (slowloris) is ``RequestGuard``'s phase, before the decoder. Requests
/// pipelined behind the one being answered are queued and replayed in order once it is done; a drain
/// (`draining`) makes the response after which nothing is queued the connection's last. An HTTP/2 stream
/// channel uses the same machine without pipelining (a stream carries one request).
///
/// Events are past-tense facts (`partRead`, `responseCompleted`, `quiesced`); the returned actions are what
/// the handler does. The machine does no I/O.
struct HTTP1ConnectionStateMachine {
    enum State {
        /// Between requests (keep-alive).
        case idle
        /// A request's head arrived; its body is being read.
        case readingBody(HTTPRequestHead, ByteBuffer?)
        /// The request is complete; the pipeline is producing its answer (cache, coalesced fetch, origin).
        case waiting
        /// A relayed response body is going out over time.
        case writing
        /// The connection ends; anything read from now on is dropped.
        case closing
    }

    /// What to do with a part read from the decoder.
    enum ReadAction {
        /// Nothing now (queued behind the response in progress, appended to the body, or dropped).
        case none
        /// A new request's head: check it (``closed()`` if it is refused).
        case startRequest(HTTPRequestHead)
        /// The request is complete: run the pipeline.
        case process(HTTPRequestHead, ByteBuffer?)
        /// Answer with this status and close (a body over the limit).
        case refuseAndClose(HTTPRequestHead, HTTPResponseStatus, String)
        /// Close without answering (a part out of order, too many pipelined requests).
        case close
    }

    /// What to do once a response is written.
    enum CompletionAction: Equatable {
        /// Close the connection (after the write).
        case close
        /// Go on: replay queued requests (``nextQueuedPart()``), then a queued malformed one
        /// (``takeQueuedMalformed()``).
        case continueReading
    }

    /// Pipelined parts beyond this many close the connection.
    static let maximumQueuedParts = 256

    private(set) var state = State.idle
    /// A drain began: the response after which nothing is queued is the connection's last.
    private(set) var draining = false
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    private var queuedMalformed: HTTPResponseStatus?
    private let maximumBodySize: Int
    private let pipelining: Bool

    /// - Parameters:
    ///   - maximumBodySize: request bodies larger than this are refused with 413.
    ///   - pipelining: HTTP/1 connections queue requests that arrive while one is answered; an HTTP/2 stream
    ///     carries a single request.
    init(maximumBodySize: Int, pipelining: Bool) {
        self.maximumBodySize = maximumBodySize
        self.pipelining = pipelining
    }

    /// The response being produced is the connection's last (draining, nothing queued behind it).
    var lastOnConnection: Bool { pipelining && draining && queued.isEmpty }

    /// Nothing in progress and nothing queued.
    var isIdle: Bool {
        if case .idle = state { return queued.isEmpty }
        return false
    }

    /// A request part arrived from the decoder.
    mutating func partRead(_ part: HTTPServerRequestPart) -> ReadAction {
        switch state {
        case .waiting, .writing:
            guard pipelining else { return protocolError() }
            queued.append(part)
            guard queued.count <= Self.maximumQueuedParts else { return protocolError() }
            return .none
        case .closing:
            return .none
        case .idle:
            guard case .head(let head) = part else { return protocolError() }
            // The declared length decides before a byte of the body is read (the client may never send it).
            if let declared = head.headers.first(name: "content-length"), Self.exceeds(declared, maximumBodySize) {
                state = .closing
                return .refuseAndClose(head, .payloadTooLarge, "request body too large")
            }
            state = .readingBody(head, nil)
            return .startRequest(head)
        case .readingBody(let head, var body):
            switch part {
            case .body(var bytes):
                guard (body?.readableBytes ?? 0) + bytes.readableBytes <= maximumBodySize else {
                    state = .closing
                    return .refuseAndClose(head, .payloadTooLarge, "request body too large")
                }
                // Take the body out of the state while appending: no copy-on-write of the buffer.
                state = .waiting
                if body == nil { body = bytes } else { body!.writeBuffer(&bytes) }
                state = .readingBody(head, body)
                return .none
            case .end:
                state = .waiting
                return .process(head, body)
            case .head:
                return protocolError()
            }
        }
    }

    /// Whether a `Content-Length` value declares more than `maximum` bytes (digits too many for an `Int`
    /// do; a value that is not a number is the request checks' and the decoder's to refuse).
    static func exceeds(_ declared: String, _ maximum: Int) -> Bool {
        guard !declared.isEmpty, declared.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return false
        }
        guard let value = Int(declared) else { return true }
        return value > maximum
    }

    /// A part where none may come: the connection closes.
    private mutating func protocolError() -> ReadAction {
        state = .closing
        return .close
    }

    /// The current request's target was normalised by the request checks.
    mutating func targetNormalised(_ target: String) {
        // Most targets are already normal: no copy of the head for them.
        guard case .readingBody(var head, let body) = state, head.uri != target else { return }
        state = .waiting
        head.uri = target
        state = .readingBody(head, body)
    }

    /// The decoder could not parse what came next: answer it now (400/431 and close), or after the
    /// responses in progress when it arrived behind them.
    /// - Returns: the status to answer with now, or `nil` when it waits its turn.
    mutating func malformedRead(_ status: HTTPResponseStatus) -> HTTPResponseStatus? {
        switch state {
        case .waiting, .writing:
            queuedMalformed = status
            return nil
        case .closing:
            return nil
        case .idle, .readingBody:
            state = .closing
            return status
        }
    }

    /// A relayed response's head went out; its body follows over time.
    mutating func streamingStarted() {
        if case .waiting = state { state = .writing }
    }

    /// The response is written (or handed to the channel).
    /// - Parameter closeAfter: the response said `Connection: close`.
    mutating func responseCompleted(closeAfter: Bool) -> CompletionAction {
        if case .closing = state { return .close }
        if closeAfter || lastOnConnection {
            state = .closing
            return .close
        }
        state = .idle
        return .continueReading
    }

    /// The next queued part to replay, while the connection is idle.
    mutating func nextQueuedPart() -> HTTPServerRequestPart? {
        switch state {
        case .idle, .readingBody:
            return queued.popFirst()
        case .waiting, .writing, .closing:
            return nil
        }
    }

    /// A malformed request queued behind answered ones, once everything before it is answered.
    mutating func takeQueuedMalformed() -> HTTPResponseStatus? {
        guard case .idle = state, queued.isEmpty, let status = queuedMalformed else { return nil }
        queuedMalformed = nil
        state = .closing
        return status
    }

    /// The edge began to drain.
    /// - Returns: whether to close now (nothing in progress or queued).
    mutating func quiesced() -> Bool {
        draining = true
        guard pipelining, isIdle else { return false }
        state = .closing
        return true
    }

    /// The connection was accepted after a drain began: it may still answer one request (its last), so a
    /// client that raced the drain is answered rather than cut off.
    mutating func acceptedWhileDraining() {
        draining = true
    }

    /// The connection is ending: the request checks refused the request (it is answered, then the
    /// connection closes), a relayed response broke off, or the client went away. Nothing more is read.
    mutating func closed() {
        state = .closing
    }
}
