/// What an HTTP/1 origin's response field becomes on HTTP/2 (RFC 9113 §8.2.1, §8.2.2): a value with
/// leading or trailing whitespace (optional whitespace, legal around HTTP/1.1 values and not part of them)
/// is sent trimmed; a value with CR, LF or NUL, and the connection-specific fields, are not sent at all.
/// Strict HTTP/2 clients, browsers among them, reject a whole response with any of them.
enum HTTP2Fields {
    /// Why a field is not sent.
    enum Refusal: String {
        case connectionSpecific = "connection-specific field"
        case invalidValue = "CR, LF or NUL in the value"
    }

    /// `value` without leading and trailing SP and HTAB, or `nil` when it holds CR, LF or NUL.
    @inlinable
    static func trimmed<Value: BidirectionalCollection>(_ value: Value) -> Value.SubSequence? where Value.Element == UInt8 {
        var start = value.startIndex
        var end = value.endIndex
        while start < end, isOptionalWhitespace(value[start]) { start = value.index(after: start) }
        while start < end, isOptionalWhitespace(value[value.index(before: end)]) { end = value.index(before: end) }
        let trimmed = value[start..<end]
        for byte in trimmed where byte == 0x0D || byte == 0x0A || byte == 0x00 { return nil }
        return trimmed
    }

    /// Whether `name` (any case) is one of the fields HTTP/2 forbids: `Connection`, `Keep-Alive`,
    /// `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`.
    @inlinable
    static func isConnectionSpecific<Name: Collection>(_ name: Name) -> Bool where Name.Element == UInt8 {
        switch name.count {
        case 7: return equalsIgnoringCase(name, "upgrade")
        case 10: return equalsIgnoringCase(name, "connection") || equalsIgnoringCase(name, "keep-alive")
        case 16: return equalsIgnoringCase(name, "proxy-connection")
        case 17: return equalsIgnoringCase(name, "transfer-encoding")
        default: return false
        }
    }

    /// Whether the field can go out unchanged (the common case: nothing to trim, nothing to drop).
    @inlinable
    static func isClean<Name: Collection, Value: BidirectionalCollection>(name: Name, value: Value) -> Bool
    where Name.Element == UInt8, Value.Element == UInt8 {
        guard let trimmed = trimmed(value) else { return false }
        return trimmed.count == value.count && !isConnectionSpecific(name)
    }

    @inlinable
    static func isOptionalWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    @inlinable
    static func equalsIgnoringCase<Name: Collection>(_ name: Name, _ lowercased: StaticString) -> Bool where Name.Element == UInt8 {
        lowercased.withUTF8Buffer { expected in
            guard expected.count == name.count else { return false }
            for (byte, wanted) in zip(name, expected) where byte | 0x20 != wanted && byte != wanted { return false }
            return true
        }
    }
}
