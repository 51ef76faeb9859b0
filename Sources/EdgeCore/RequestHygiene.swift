import Shared

/// Framing and target checks on a parsed HTTP/1 request head, before anything is forwarded (RFC 9112).
///
/// The parser (llhttp) already refuses the classic smuggling shapes: `Content-Length` with
/// `Transfer-Encoding`, duplicate or malformed `Content-Length`, bad chunk sizes, obs-fold, bare CR/LF,
/// control characters. What it lets through and an edge must not: transfer codings other than a lone
/// `chunked` (an origin behind us might read `gzip, chunked` differently), `Transfer-Encoding` on HTTP/1.0,
/// and targets that are not origin-form (an absolute-form target naming another authority than `Host`
/// would let a cache key and the origin's idea of the host disagree).
public enum RequestHygiene {
    /// Why a request head is refused (400 and the connection closed).
    public enum Refusal: Error, Equatable, Sendable {
        case transferCoding
        case target
        case authorityMismatch
        /// A `GET` or `HEAD` that declares a body: the origin might read the body or not, and the answer to
        /// a GET is stored for everyone, so it is never forwarded.
        case bodyOnSafeMethod

        public var message: String {
            switch self {
            case .bodyOnSafeMethod: "a GET or HEAD request may not carry a body"
            case .transferCoding: "unsupported transfer coding"
            case .target: "malformed request target"
            case .authorityMismatch: "request target names another host than Host"
            }
        }
    }

    /// Checks a request head, its method and declared body first (``bodyRefusal(method:contentLength:transferEncoding:)``);
    /// returns the target in origin-form (absolute-form rewritten).
    /// - Parameters:
    ///   - method: the request method.
    ///   - contentLength: the `Content-Length` value, if any.
    ///   - target: the request target as parsed.
    ///   - isHTTP10: whether the request is HTTP/1.0.
    ///   - transferEncoding: every `Transfer-Encoding` field value.
    ///   - host: the `Host` field value (when exactly one).
    public static func check(
        method: String,
        contentLength: String?,
        target: String,
        isHTTP10: Bool,
        transferEncoding: [String],
        host: String?
    ) -> Result<String, Refusal> {
        if let refusal = bodyRefusal(method: method, contentLength: contentLength, transferEncoding: transferEncoding) {
            return .failure(refusal)
        }
        return check(target: target, isHTTP10: isHTTP10, transferEncoding: transferEncoding, host: host)
    }

    /// A `GET` or `HEAD` with a body is refused (400, and the connection closed: the body's bytes are never
    /// read as the next request): it is declared by a `Content-Length` other than 0 or by any
    /// `Transfer-Encoding`. Forwarded, the origin may answer before or without reading it (a cacheable
    /// answer to a request the key does not describe) or wait for bytes the edge never sends.
    /// - Parameters:
    ///   - method: the request method.
    ///   - contentLength: the `Content-Length` value, if any.
    ///   - transferEncoding: every `Transfer-Encoding` field value.
    /// - Returns: the refusal, or `nil` when the request may go on.
    public static func bodyRefusal(method: String, contentLength: String?, transferEncoding: [String]) -> Refusal? {
        guard method == "GET" || method == "HEAD" else { return nil }
        if !transferEncoding.isEmpty { return .bodyOnSafeMethod }
        guard let contentLength, contentLength != "0" else { return nil }
        return contentLength.utf8.allSatisfy({ $0 == UInt8(ascii: "0") }) ? nil : .bodyOnSafeMethod
    }

    /// Checks a request head; returns the target in origin-form (absolute-form rewritten).
    /// - Parameters:
    ///   - target: the request target as parsed.
    ///   - isHTTP10: whether the request is HTTP/1.0.
    ///   - transferEncoding: every `Transfer-Encoding` field value.
    ///   - host: the `Host` field value (when exactly one).
    public static func check(target: String, isHTTP10: Bool, transferEncoding: [String], host: String?) -> Result<String, Refusal> {
        if !transferEncoding.isEmpty {
            guard !isHTTP10, transferEncoding.count == 1,
                transferEncoding[0].lowercased().trimmingSpaces() == "chunked"
            else { return .failure(.transferCoding) }
        }
        if target.utf8.first == UInt8(ascii: "/") { return .success(target) }
        // Absolute-form (RFC 9112 §3.2.2): accepted when its authority is the Host's, as origin-form.
        let lowered = target.prefix(8).lowercased()
        let schemeLength = lowered.hasPrefix("https://") ? 8 : lowered.hasPrefix("http://") ? 7 : 0
        guard schemeLength > 0 else { return .failure(.target) }
        let rest = target.dropFirst(schemeLength)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@"), let named = HostName(normalising: authority),
            let host, let hostName = HostName(normalising: host)
        else { return .failure(.target) }
        guard named == hostName else { return .failure(.authorityMismatch) }
        let path = rest.dropFirst(authority.count)
        if path.isEmpty { return .success("/") }
        return .success(path.first == "/" ? String(path) : "/" + path)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (optional whitespace, RFC 9110 §5.6.3).
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let start = firstIndex { !isSpace($0) } ?? endIndex
        let end = lastIndex { !isSpace($0) }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
