import NIOCore
import NIOHTTP1
import Shared

/// A response as the edge stores it: status, header fields (internal and hop-by-hop ones already removed)
/// kept only as HTTP/1 bytes, and the body.
///
/// The fields are not kept as `HTTPHeaders` as well: per cached object that second copy (an array of string
/// pairs, most of them heap strings, in a boxed head) cost more memory than the fields' bytes. A hit on an
/// HTTP/1 connection writes the bytes as they are; the HTTP/2 hit path reads names and values from them; the
/// rare paths that need a full head (HTTP/2 stream channels, revalidation) parse it back (``head``).
struct CachedResponse: Sendable {
    let status: HTTPResponseStatus
    /// The fields as `name: value\r\n` lines, less `Age`, `X-Cache`, `Content-Length` and `Connection`
    /// (written fresh on every response).
    let serializedFields: ByteBuffer
    let body: ByteBuffer
    /// The upstream request was HEAD: `body` is empty and this is the `Content-Length` of the GET body.
    let omittedBodyLength: String?
    /// Fields and body are slices of one buffer.
    private let sharesStorage: Bool

    var bodyOmitted: Bool { omittedBodyLength != nil }

    /// - Parameters:
    ///   - compact: for a stored object: as little memory as NIO's buffers allow. They round every
    ///     allocation up to a power of two, so fields and body share one buffer when that is smaller than two
    ///     (each with its storage object); otherwise a body whose buffer is larger than its own rounded size
    ///     (a slice of a receive buffer, or grown by doubling) is copied to one that is not.
    init(head: HTTPResponseHead, body: ByteBuffer, bodyOmitted: Bool = false, compact: Bool = false) {
        self.status = head.status
        self.omittedBodyLength = bodyOmitted ? head.headers.first(name: "content-length") ?? "0" : nil
        let fieldBytes = HTTP1ResponseSerializer.fieldsSize(head.headers)
        let bodyBytes = body.readableBytes
        if compact, Self.rounded(fieldBytes + bodyBytes) <= Self.rounded(fieldBytes) + Self.rounded(bodyBytes) + Self.storageOverhead {
            var storage = ByteBufferAllocator().buffer(capacity: fieldBytes + bodyBytes)
            HTTP1ResponseSerializer.writeFields(head.headers, into: &storage)
            let fieldsLength = storage.writerIndex
            storage.writeImmutableBuffer(body)
            self.serializedFields = storage.getSlice(at: 0, length: fieldsLength)!
            self.body = storage.getSlice(at: fieldsLength, length: bodyBytes)!
            self.sharesStorage = true
        } else {
            var fields = ByteBufferAllocator().buffer(capacity: fieldBytes)
            HTTP1ResponseSerializer.writeFields(head.headers, into: &fields)
            self.serializedFields = fields
            self.body = compact && body.storageCapacity > Self.rounded(bodyBytes) ? ByteBufferAllocator().buffer(buffer: body) : body
            self.sharesStorage = false
        }
    }

    /// The capacity NIO allocates for `bytes`.
    static func rounded(_ bytes: Int) -> Int {
        bytes <= 1 ? bytes : 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount)
    }

    /// A buffer's storage object (header, pointer, capacity, allocator), as malloc hands it out.
    static let storageOverhead = 64

    /// Each stored field, in order, as `(name, value)` byte ranges of ``serializedFields``.
    func forEachField(_ body: (_ name: ByteBufferView, _ value: ByteBufferView) -> Void) {
        let view = serializedFields.readableBytesView
        var lineStart = view.startIndex
        while lineStart < view.endIndex, let colon = view[lineStart...].firstIndex(of: UInt8(ascii: ":")) {
            let valueStart = colon + 2
            guard valueStart <= view.endIndex, let cr = view[valueStart...].firstIndex(of: UInt8(ascii: "\r")) else { return }
            body(view[lineStart..<colon], view[valueStart..<cr])
            lineStart = cr + 2
        }
    }

    /// The head the fields describe, parsed back (version 1.1); for the paths that need `HTTPHeaders`.
    var head: HTTPResponseHead {
        var head = HTTPResponseHead(version: .http1_1, status: status)
        forEachField { name, value in
            head.headers.add(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
        if let omittedBodyLength { head.headers.add(name: "content-length", value: omittedBodyLength) }
        return head
    }

    /// The first value of a field, read from the stored bytes.
    /// - Parameter name: the field name, lowercased.
    func field(_ name: String) -> String? {
        var found: String?
        forEachField { fieldName, value in
            guard found == nil, fieldName.count == name.utf8.count,
                zip(fieldName, name.utf8).allSatisfy({ Self.lowercased($0) == $1 })
            else { return }
            found = String(decoding: value, as: UTF8.self)
        }
        return found
    }

    /// The stored `ETag` (read when a request is conditional or the object is revalidated).
    var etag: String? { field("etag") }

    /// Whether a request's `If-None-Match` values match the stored `ETag`: answer 304.
    func matches(ifNoneMatch values: [String]) -> Bool {
        guard !values.isEmpty, let etag else { return false }
        return HTTPComparisons.ifNoneMatch(values, matches: etag)
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// The bytes it costs in the cache: the buffers holding its header fields and body as allocated (NIO
    /// rounds them up to powers of two, so a 1,100-byte page occupies 2,048), plus 128 for the entry.
    var cost: Int {
        (sharesStorage ? body.storageCapacity : body.storageCapacity + serializedFields.storageCapacity) + 128
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
