import NIOCore
import NIOHTTP1

/// Writes HTTP/1.x responses as bytes, for the edge's own HTTP/1 connections (no `HTTPResponseEncoder`).
///
/// A stored response keeps its header fields pre-serialised (``CachedResponse/serializedFields``), so a hit
/// writes the status line, those bytes, and only `Age`, `X-Cache`, `Content-Length` and `Connection` fresh.
enum HTTP1ResponseSerializer {
    /// Fields the edge writes itself on every response; never part of the pre-serialised fields.
    static let perResponseFields: Set<String> = ["age", "x-cache", "content-length", "connection"]

    /// The bytes ``writeFields(_:into:)`` writes.
    static func fieldsSize(_ headers: HTTPHeaders) -> Int {
        headers.reduce(0) { size, field in
            perResponseFields.contains(field.name.lowercased()) ? size : size + field.name.utf8.count + field.value.utf8.count + 4
        }
    }

    /// Writes the fields of `headers` as `name: value\r\n` lines, without the per-response fields.
    static func writeFields(_ headers: HTTPHeaders, into buffer: inout ByteBuffer) {
        for (name, value) in headers where !perResponseFields.contains(name.lowercased()) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
    }

    /// Writes the status line.
    static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into buffer: inout ByteBuffer) {
        if version.major == 1, version.minor == 0 {
            buffer.writeStaticString("HTTP/1.0 ")
        } else {
            buffer.writeStaticString("HTTP/1.1 ")
        }
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
    }

    /// Writes a whole head (status line, every field, blank line).
    static func writeHead(_ head: HTTPResponseHead, into buffer: inout ByteBuffer) {
        writeStatusLine(version: head.version, status: head.status, into: &buffer)
        for (name, value) in head.headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Writes a decimal number without building a `String`.
    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        precondition(value >= 0)
        if value < 10 {
            buffer.writeInteger(UInt8(48 + value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { bytes in
            while rest > 0 {
                bytes[19 - count] = UInt8(48 + rest % 10)
                rest /= 10
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[(20 - count)...]))
        }
    }
}
