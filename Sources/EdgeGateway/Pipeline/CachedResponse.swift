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
    /// The body is kept in at most two buffers: `bodyHead`, then `bodyTail` (see ``init``).
    let bodyHead: ByteBuffer
    let bodyTail: ByteBuffer?
    /// The upstream request was HEAD: `body` is empty and this is the `Content-Length` of the GET body.
    let omittedBodyLength: String?
    /// The bytes allocated for fields and body together.
    private let allocated: Int

    var bodyOmitted: Bool { omittedBodyLength != nil }

    /// The body's length in bytes.
    var bodyLength: Int { bodyHead.readableBytes + (bodyTail?.readableBytes ?? 0) }

    /// The whole body in one buffer; a copy when it is kept in two (for the paths that are not hits).
    var body: ByteBuffer {
        guard let bodyTail else { return bodyHead }
        var whole = ByteBufferAllocator().buffer(capacity: bodyLength)
        whole.writeImmutableBuffer(bodyHead)
        whole.writeImmutableBuffer(bodyTail)
        return whole
    }

    /// - Parameters:
    ///   - compact: for a stored object: as little memory as NIO's buffers allow. They round every
    ///     allocation up to a power of two (a 1,100-byte body would occupy 2,048 bytes), so the layout with
    ///     the fewest bytes allocated is chosen: fields and body in one buffer; fields and body in two; or
    ///     the body's largest power-of-two part in a buffer it fills exactly and the rest with the fields
    ///     (a 20,000-byte page then occupies 16,384 + 4,096 bytes instead of 32,768). Each buffer beyond the
    ///     first counts its storage object.
    init(head: HTTPResponseHead, body: ByteBuffer, bodyOmitted: Bool = false, compact: Bool = false) {
        self.status = head.status
        self.omittedBodyLength = bodyOmitted ? head.headers.first(name: "content-length") ?? "0" : nil
        let fieldBytes = HTTP1ResponseSerializer.fieldsSize(head.headers)
        let bodyBytes = body.readableBytes
        let layout = compact ? Self.layout(fieldBytes: fieldBytes, bodyBytes: bodyBytes) : .separate
        switch layout {
        case .shared, .split:
            // Fields first, then the body (or the part of it after the split).
            let headBytes = layout == .shared ? 0 : Self.largestPowerOfTwo(atMost: bodyBytes)
            var storage = ByteBufferAllocator().buffer(capacity: fieldBytes + bodyBytes - headBytes)
            HTTP1ResponseSerializer.writeFields(head.headers, into: &storage)
            let fieldsLength = storage.writerIndex
            storage.writeImmutableBuffer(body.getSlice(at: body.readerIndex + headBytes, length: bodyBytes - headBytes)!)
            self.serializedFields = storage.getSlice(at: 0, length: fieldsLength)!
            let rest = storage.getSlice(at: fieldsLength, length: bodyBytes - headBytes)!
            if headBytes == 0 {
                self.bodyHead = rest
                self.bodyTail = nil
                self.allocated = storage.capacity
            } else {
                var exact = ByteBufferAllocator().buffer(capacity: headBytes)
                exact.writeImmutableBuffer(body.getSlice(at: body.readerIndex, length: headBytes)!)
                self.bodyHead = exact
                self.bodyTail = rest
                self.allocated = storage.capacity + exact.capacity + Self.storageOverhead
            }
        case .separate:
            var fields = ByteBufferAllocator().buffer(capacity: fieldBytes)
            HTTP1ResponseSerializer.writeFields(head.headers, into: &fields)
            self.serializedFields = fields
            self.bodyHead = compact && body.storageCapacity > Self.rounded(bodyBytes) ? ByteBufferAllocator().buffer(buffer: body) : body
            self.bodyTail = nil
            self.allocated = fields.capacity + bodyHead.storageCapacity + Self.storageOverhead
        }
    }

    enum Layout: Equatable {
        case shared, separate, split
    }

    /// The layout allocating the fewest bytes (ties: fewer buffers).
    static func layout(fieldBytes: Int, bodyBytes: Int) -> Layout {
        let shared = rounded(fieldBytes + bodyBytes)
        let separate = rounded(fieldBytes) + rounded(bodyBytes) + storageOverhead
        let part = largestPowerOfTwo(atMost: bodyBytes)
        let split = part == 0 ? Int.max : part + rounded(fieldBytes + bodyBytes - part) + storageOverhead
        if shared <= separate, shared <= split { return .shared }
        return separate <= split ? .separate : .split
    }

    static func largestPowerOfTwo(atMost bytes: Int) -> Int {
        bytes <= 0 ? 0 : 1 << (Int.bitWidth - 1 - bytes.leadingZeroBitCount)
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
        allocated + 128
    }
}
