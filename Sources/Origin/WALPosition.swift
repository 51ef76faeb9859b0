/// A position in PostgreSQL's write-ahead log (a `pg_lsn`), as a byte offset.
///
/// The primary's position after a commit tells how far a replica must have replayed to show that commit:
/// a replica whose replay position is at or past it has the write.
public struct WALPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The byte offset in the log.
    public let offset: UInt64

    /// - Parameter offset: the byte offset in the log.
    public init(offset: UInt64) {
        self.offset = offset
    }

    /// Parses PostgreSQL's text form (`16/B374D848`: the high and low 32 bits in hexadecimal).
    /// - Parameter pgLSN: the text of a `pg_lsn` value.
    public init?(pgLSN text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let high = Self.hex(parts[0], maxDigits: 8), let low = Self.hex(parts[1], maxDigits: 8)
        else { return nil }
        self.offset = high << 32 | low
    }

    /// Parses the compact form ``hexDigits`` writes: exactly 16 hexadecimal digits.
    /// - Parameter hexDigits: text from a client; anything else is refused.
    public init?(hexDigits text: some StringProtocol) {
        guard text.utf8.count == 16, let offset = Self.hex(text, maxDigits: 16) else { return nil }
        self.offset = offset
    }

    /// 16 uppercase hexadecimal digits, the form a cookie carries.
    public var hexDigits: String {
        let digits = String(offset, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// PostgreSQL's text form, for queries (`'16/B374D848'::pg_lsn`).
    public var pgLSN: String {
        String(offset >> 32, radix: 16, uppercase: true) + "/" + String(offset & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public var description: String { pgLSN }

    public static func < (lhs: WALPosition, rhs: WALPosition) -> Bool { lhs.offset < rhs.offset }

    /// Hexadecimal digits only (no sign, no prefix, no spaces), 1 to `maxDigits` of them.
    private static func hex(_ text: some StringProtocol, maxDigits: Int) -> UInt64? {
        let utf8 = text.utf8
        guard (1...maxDigits).contains(utf8.count) else { return nil }
        var value: UInt64 = 0
        for byte in utf8 {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
