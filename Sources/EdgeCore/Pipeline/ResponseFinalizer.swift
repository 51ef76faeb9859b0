/// The last phase of the pipeline: how a response goes out, decided once for every protocol and every
/// source (a hit, a coalesced or revalidated answer, a pass, a stale copy, an answer of the edge's own).
///
/// The protocol writers (HTTP/1 bytes, HTTP/2 frames, HTTP/2 stream parts) only serialise what this
/// returns: the status (304 when the client's validator matches), whether a body follows, what
/// `Content-Length` says, and whether the connection closes after the response.
public enum ResponseFinalizer {
    /// What `Content-Length` says.
    public enum Length: Equatable, Sendable {
        /// This many bytes.
        case exact(Int)
        /// The origin's own value, kept as it sent it (a HEAD passed through: the edge has no body).
        case asOrigin
        /// None: a status without content (1xx, 204, 304).
        case none
    }

    /// The body the edge has for a response.
    public enum Body: Equatable, Sendable {
        /// This many bytes, all in hand.
        case bytes(Int)
        /// Still arriving from the origin (relayed as it comes); its length is the origin's, if it sent one.
        case streamed
        /// None, though the origin has one: a HEAD passed through (its `Content-Length` stands).
        case omitted
    }

    /// How a response goes out.
    public struct Finish: Equatable, Sendable {
        /// The status code to send.
        public var status: Int
        /// Whether the body follows the head.
        public var sendsBody: Bool
        /// The `Content-Length` to send.
        public var length: Length
        /// Whether the connection closes after this response (`Connection: close` on HTTP/1).
        public var closesConnection: Bool

        public init(status: Int, sendsBody: Bool, length: Length, closesConnection: Bool) {
            self.status = status
            self.sendsBody = sendsBody
            self.length = length
            self.closesConnection = closesConnection
        }
    }

    /// Decides how a response goes out.
    /// - Parameters:
    ///   - method: the request method.
    ///   - status: the response's status code.
    ///   - body: the body the edge has for it.
    ///   - validatorMatched: the client's `If-None-Match` matches the response's `ETag` (a GET or HEAD is
    ///     then answered 304 without a body).
    ///   - keepAlive: the client asked to keep the connection (HTTP/1.1 default, or HTTP/1.0 keep-alive).
    ///   - lastOnConnection: the connection ends after this response anyway (the edge is draining and
    ///     nothing else is queued, or the request was refused in a way that closes).
    public static func finish(
        method: String,
        status: Int,
        body: Body,
        validatorMatched: Bool,
        keepAlive: Bool,
        lastOnConnection: Bool
    ) -> Finish {
        let conditional = validatorMatched && (method == "GET" || method == "HEAD")
        let finalStatus = conditional ? 304 : status
        let closes = !keepAlive || lastOnConnection
        if finalStatus < 200 || finalStatus == 204 || finalStatus == 304 {
            return Finish(status: finalStatus, sendsBody: false, length: .none, closesConnection: closes)
        }
        let isHead = method == "HEAD"
        switch body {
        case .bytes(let count):
            return Finish(status: finalStatus, sendsBody: count > 0 && !isHead, length: .exact(count), closesConnection: closes)
        case .streamed:
            return Finish(status: finalStatus, sendsBody: !isHead, length: .asOrigin, closesConnection: closes)
        case .omitted:
            return Finish(status: finalStatus, sendsBody: false, length: .asOrigin, closesConnection: closes)
        }
    }
}
