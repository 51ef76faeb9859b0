import CHiredis
import NIOCore

/// Encodes commands with hiredis's `redisFormatCommandArgv` and decodes replies with its `redisReader`.
///
/// The C parts stay in this file; everything else deals in ``RESPValue``.
struct RESPCodec: ~Copyable {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        reader = redisReaderCreate()
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Appends the RESP encoding of `arguments` to `buffer`.
    static func encode(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        var target: UnsafeMutablePointer<CChar>?
        let lengths = arguments.map { $0.count }
        let length: Int32 = withPointers(arguments) { pointers in
            lengths.withUnsafeBufferPointer { lengthPointer in
                redisFormatCommandArgv(&target, Int32(arguments.count), pointers, lengthPointer.baseAddress)
            }
        }
        guard length > 0, let target else { return }
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
        redisFreeCommand(target)
    }

    private static func withPointers<R>(
        _ arguments: [[UInt8]],
        _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> R
    ) -> R {
        let storage = arguments.map { argument -> UnsafeMutablePointer<CChar> in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, argument.count))
            argument.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(copy).copyMemory(from: bytes.baseAddress ?? UnsafeRawPointer(copy), byteCount: argument.count)
            }
            return copy
        }
        defer { storage.forEach { $0.deallocate() } }
        var pointers: [UnsafePointer<CChar>?] = storage.map { UnsafePointer($0) }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Feeds received bytes to the reader.
    func feed(_ buffer: ByteBuffer) throws {
        let status = buffer.withUnsafeReadableBytes { bytes in
            redisReaderFeed(reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard status == REDIS_OK else { throw RedisError.protocolError }
    }

    /// The next complete reply, if one has arrived.
    func nextReply() throws -> RESPValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else { throw RedisError.protocolError }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STATUS: return .simpleString(text(value))
        case REDIS_REPLY_ERROR: return .error(text(value))
        case REDIS_REPLY_INTEGER: return .integer(value.integer)
        case REDIS_REPLY_NIL: return .bulkString(nil)
        case REDIS_REPLY_STRING:
            return .bulkString(Array(UnsafeRawBufferPointer(start: value.str, count: value.len)))
        case REDIS_REPLY_ARRAY:
            return .array((0..<value.elements).map { convert(value.element[$0]!) })
        default: return .error("unknown reply type \(value.type)")
        }
    }

    private static func text(_ value: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: value.str, count: value.len), as: UTF8.self)
    }
}
