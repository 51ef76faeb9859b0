/// A Redis reply (RESP2).
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// A bulk string; `nil` is the null bulk string.
    case bulkString([UInt8]?)
    /// An array; `nil` is the null array.
    case array([RESPValue]?)

    /// The reply as text, for simple and bulk strings.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}

/// Why a Redis command failed.
public enum RedisError: Error, Equatable, Sendable {
    /// The server answered with an error reply.
    case server(String)
    /// No reply before the deadline; the connection was closed to keep replies in order.
    case timeout
    /// The connection closed before the reply.
    case connectionClosed
    /// The reply could not be parsed.
    case protocolError
}
