import NIOCore
import NIOHTTP1

/// A response as the edge stores it: head with internal and hop-by-hop fields already removed, and the body.
struct CachedResponse: Sendable {
    var head: HTTPResponseHead {
        didSet { serializedFields = HTTP1ResponseSerializer.serializeFields(head.headers) }
    }
    var body: ByteBuffer
    var etag: String?
    /// The upstream request was HEAD: `body` is empty and the head's `content-length` describes the GET body.
    var bodyOmitted = false
    /// The head's fields as HTTP/1 bytes, less `Age`, `X-Cache`, `Content-Length`, `Connection`: a hit on an
    /// HTTP/1 connection writes these bytes as they are.
    private(set) var serializedFields: ByteBuffer

    init(head: HTTPResponseHead, body: ByteBuffer, etag: String?, bodyOmitted: Bool = false) {
        self.head = head
        self.body = body
        self.etag = etag
        self.bodyOmitted = bodyOmitted
        self.serializedFields = HTTP1ResponseSerializer.serializeFields(head.headers)
    }

    /// The bytes it costs in the cache (body plus an estimate of the head).
    var cost: Int {
        body.readableBytes + 2 * serializedFields.readableBytes + 128
    }
}

/// Header handling shared by the request and response paths.
enum HeaderHygiene {
    /// Hop-by-hop fields (RFC 9110 §7.6.1) never forwarded in either direction.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// Request fields a client must not set for the origin: the edge owns them.
    static let untrustedRequestFields: Set<String> = [
        "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "forwarded", "x-real-ip",
        "x-original-url", "x-rewrite-url", "x-storefront-tenant",
    ]

    /// Response fields meant for the edge only.
    static let internalResponseFields: Set<String> = ["x-storefront-tenant", "surrogate-key"]

    /// Removes hop-by-hop fields, including any the `Connection` field names.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        let named = headers[canonicalForm: "connection"].map { $0.lowercased() }
        for name in hopByHop { headers.remove(name: name) }
        for name in named { headers.remove(name: String(name)) }
    }
}
