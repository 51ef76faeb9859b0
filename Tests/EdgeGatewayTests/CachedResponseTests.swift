import NIOCore
import NIOHTTP1
import Testing

@testable import EdgeGateway

/// A stored response keeps its fields only as bytes: they must read back as the origin sent them (less the
/// per-response fields), and fields and body share one exactly sized buffer.
@Suite struct CachedResponseTests {
    static let head: HTTPResponseHead = {
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Cache-Control", value: "public, max-age=30, s-maxage=300")
        head.headers.add(name: "ETag", value: "\"1818bfd32b4f24a0\"")
        head.headers.add(name: "Content-Length", value: "11")
        head.headers.add(name: "Age", value: "4")
        head.headers.add(name: "Set-Cookie", value: "a=1")
        head.headers.add(name: "set-cookie", value: "b=2")
        head.headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
        return head
    }()

    @Test func fieldsReadBackInOrderWithoutPerResponseFields() {
        let body = ByteBuffer(string: "hello world")
        let stored = CachedResponse(head: Self.head, body: body, compact: true)
        let parsed = stored.head
        #expect(parsed.status == .ok)
        #expect(parsed.headers.map(\.name) == ["Cache-Control", "ETag", "Set-Cookie", "set-cookie", "Content-Type"])
        #expect(parsed.headers["set-cookie"] == ["a=1", "b=2"])
        #expect(parsed.headers.first(name: "content-type") == "text/html; charset=utf-8")
        #expect(stored.etag == "\"1818bfd32b4f24a0\"")
        #expect(stored.field("cache-control") == "public, max-age=30, s-maxage=300")
        #expect(stored.field("age") == nil)
        #expect(stored.field("content-length") == nil)
        #expect(stored.body == body)
        #expect(!stored.bodyOmitted)
        #expect(String(buffer: stored.serializedFields).hasPrefix("Cache-Control: public, max-age=30, s-maxage=300\r\nETag: "))
    }

    /// NIO rounds buffers up to powers of two: fields and body share one buffer when that costs less than
    /// two, and a body sliced from a large receive buffer is never kept with that buffer.
    @Test func storedObjectsUseLittleMemory() {
        var receive = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        receive.writeString(String(repeating: "x", count: 4000))
        let fieldBytes = CachedResponse(head: Self.head, body: ByteBuffer()).serializedFields.readableBytes
        #expect(CachedResponse.rounded(1000) == 1024 && CachedResponse.rounded(1024) == 1024 && CachedResponse.rounded(1025) == 2048)

        // Fields and a body that together fit the body's own power of two: one buffer.
        let small = receive.getSlice(at: 100, length: 1024 - fieldBytes)!
        let shared = CachedResponse(head: Self.head, body: small, compact: true)
        #expect(shared.body == small)
        #expect(shared.body.storageCapacity == 1024)
        #expect(shared.serializedFields.storageCapacity == 1024)

        // A body just under a power of two: two buffers (one would be twice the size), the body copied out
        // of the 64 KiB receive buffer.
        let large = receive.getSlice(at: 0, length: 2000)!
        let separate = CachedResponse(head: Self.head, body: large, compact: true)
        #expect(separate.body == large)
        #expect(separate.body.storageCapacity == 2048)
        #expect(separate.serializedFields.storageCapacity == CachedResponse.rounded(fieldBytes))
        // The budget counts what is allocated, rounding included.
        #expect(separate.cost == 2048 + CachedResponse.rounded(fieldBytes) + CachedResponse.storageOverhead + 128)
        #expect(shared.cost == 1024 + 128)
    }

    /// A body just over a power of two keeps that power of two in a buffer it fills exactly and the rest with
    /// the fields, instead of a buffer twice its size; it reads back whole.
    @Test func bodiesJustOverAPowerOfTwoAreSplit() {
        let fieldBytes = CachedResponse(head: Self.head, body: ByteBuffer()).serializedFields.readableBytes
        for (size, head, rest) in [(1100, 1024, 256), (20_000, 16_384, 4096)] {
            var source = ByteBufferAllocator().buffer(capacity: size)
            for index in 0..<size { source.writeInteger(UInt8(truncatingIfNeeded: index * 7)) }
            #expect(CachedResponse.layout(fieldBytes: fieldBytes, bodyBytes: size) == .split)
            let stored = CachedResponse(head: Self.head, body: source, compact: true)
            #expect(stored.bodyHead.readableBytes == head)
            #expect(stored.bodyHead.storageCapacity == head)
            #expect(stored.bodyTail?.readableBytes == size - head)
            #expect(stored.bodyLength == size)
            #expect(stored.body == source)
            #expect(stored.field("etag") == "\"1818bfd32b4f24a0\"")
            #expect(stored.cost == head + CachedResponse.rounded(fieldBytes + size - head) + CachedResponse.storageOverhead + 128)
            #expect(CachedResponse.rounded(fieldBytes + size - head) == rest)
        }
        #expect(CachedResponse.layout(fieldBytes: fieldBytes, bodyBytes: 933) == .separate)
        #expect(CachedResponse.layout(fieldBytes: fieldBytes, bodyBytes: 800) == .shared)
        #expect(CachedResponse.layout(fieldBytes: fieldBytes, bodyBytes: 600) == .split)
    }

    /// An answer to HEAD (never stored) keeps the GET body's length for the client.
    @Test func headAnswerKeepsTheDeclaredLength() {
        let answer = CachedResponse(head: Self.head, body: ByteBuffer(), bodyOmitted: true)
        #expect(answer.bodyOmitted)
        #expect(answer.omittedBodyLength == "11")
        #expect(answer.head.headers.first(name: "content-length") == "11")
    }

    @Test func ifNoneMatchNeedsTheStoredTag() {
        let stored = CachedResponse(head: Self.head, body: ByteBuffer(string: "hello world"), compact: true)
        #expect(stored.matches(ifNoneMatch: ["\"other\", \"1818bfd32b4f24a0\""]))
        #expect(!stored.matches(ifNoneMatch: ["\"other\""]))
        #expect(!stored.matches(ifNoneMatch: []))
        let untagged = CachedResponse(head: HTTPResponseHead(version: .http1_1, status: .ok), body: ByteBuffer(), compact: true)
        #expect(!untagged.matches(ifNoneMatch: ["*"]))
    }
}
