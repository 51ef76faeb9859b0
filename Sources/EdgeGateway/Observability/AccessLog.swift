import Foundation
import NIOCore

/// One structured line per request (JSON), buffered per event loop and written in batches, so logging
/// every hit costs a few hundred bytes of formatting and no lock or system call per request.
///
/// Fields: `ts` (Unix milliseconds), `tenant`, `host`, `method`, `path`, `status`, `cache`
/// (HIT/MISS/PASS/STALE/COALESCED, or `-` when refused before the cache), `origin` (when one was asked),
/// `origin_ms`, `ms` (until the response was handed to the connection), `bytes` (body).
public final class AccessLog: Sendable {
    /// Where lines go.
    public enum Destination: Sendable {
        case standardOutput
        case file(String)
    }

    private let buffers: [ObjectIdentifier: LoopBuffer]
    private let descriptor: Int32

    /// - Parameters:
    ///   - group: the event loops requests are handled on.
    ///   - destination: standard output or a file (appended).
    public init(group: any EventLoopGroup, destination: Destination) throws {
        switch destination {
        case .standardOutput:
            descriptor = STDOUT_FILENO
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission) }
            descriptor = fd
        }
        var buffers: [ObjectIdentifier: LoopBuffer] = [:]
        for loop in group.makeIterator() {
            buffers[ObjectIdentifier(loop)] = LoopBuffer(eventLoop: loop, descriptor: descriptor)
        }
        self.buffers = buffers
    }

    /// One request's line. Called on the request's event loop.
    struct Entry {
        var tenant: String
        var host: String
        var method: String
        var path: String
        var status: Int
        var cache: String
        var origin: String?
        var originNanoseconds: UInt64?
        var totalNanoseconds: UInt64
        var bytes: Int
    }

    func record(_ entry: Entry, on loop: any EventLoop) {
        buffers[ObjectIdentifier(loop)]?.append(entry)
    }

    /// Writes what is buffered (at shutdown).
    public func flush() {
        for buffer in buffers.values {
            buffer.eventLoop.execute { buffer.flush() }
        }
    }
}

/// The lines of one event loop; touched only on that loop.
private final class LoopBuffer: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let descriptor: Int32
    private var buffer = ByteBuffer()
    private var flushScheduled = false
    private static let flushBytes = 32 * 1024

    init(eventLoop: any EventLoop, descriptor: Int32) {
        self.eventLoop = eventLoop
        self.descriptor = descriptor
        buffer.reserveCapacity(Self.flushBytes * 2)
    }

    func append(_ entry: AccessLog.Entry) {
        buffer.writeStaticString("{\"ts\":")
        HTTP1ResponseSerializer.writeDecimal(Int(Date().timeIntervalSince1970 * 1000), into: &buffer)
        buffer.writeStaticString(",\"tenant\":")
        writeJSON(entry.tenant)
        buffer.writeStaticString(",\"host\":")
        writeJSON(entry.host)
        buffer.writeStaticString(",\"method\":")
        writeJSON(entry.method)
        buffer.writeStaticString(",\"path\":")
        writeJSON(entry.path)
        buffer.writeStaticString(",\"status\":")
        HTTP1ResponseSerializer.writeDecimal(max(0, entry.status), into: &buffer)
        buffer.writeStaticString(",\"cache\":")
        writeJSON(entry.cache)
        if let origin = entry.origin {
            buffer.writeStaticString(",\"origin\":")
            writeJSON(origin)
        }
        if let nanoseconds = entry.originNanoseconds {
            buffer.writeStaticString(",\"origin_ms\":")
            writeMilliseconds(nanoseconds)
        }
        buffer.writeStaticString(",\"ms\":")
        writeMilliseconds(entry.totalNanoseconds)
        buffer.writeStaticString(",\"bytes\":")
        if entry.bytes < 0 {
            buffer.writeStaticString("-1")
        } else {
            HTTP1ResponseSerializer.writeDecimal(entry.bytes, into: &buffer)
        }
        buffer.writeStaticString("}\n")
        if buffer.readableBytes >= Self.flushBytes {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            eventLoop.scheduleTask(in: .milliseconds(200)) { [self] in
                flushScheduled = false
                flush()
            }
        }
    }

    func flush() {
        while buffer.readableBytes > 0 {
            let written = buffer.withUnsafeReadableBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 {
                if written < 0, errno == EINTR { continue }
                break  // a full or broken log pipe drops lines rather than stalling requests
            }
            buffer.moveReaderIndex(forwardBy: written)
        }
        buffer.clear()
    }

    /// Milliseconds with one decimal, written without building a `String`.
    private func writeMilliseconds(_ nanoseconds: UInt64) {
        let tenths = Int(nanoseconds / 100_000)
        HTTP1ResponseSerializer.writeDecimal(tenths / 10, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "."))
        buffer.writeInteger(UInt8(48 + tenths % 10))
    }

    /// A JSON string: quotes, backslashes and control characters escaped (paths and hosts come from clients).
    private func writeJSON(_ text: String) {
        buffer.writeStaticString("\"")
        // The usual case has nothing to escape: one copy.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            buffer.writeString(text)
            buffer.writeStaticString("\"")
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0..<0x20:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(Self.hex[Int(byte >> 4)])
                buffer.writeInteger(Self.hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeStaticString("\"")
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
}
