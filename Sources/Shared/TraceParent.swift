/// A W3C Trace Context `traceparent` (version 00): `00-<trace id>-<parent id>-<flags>`.
///
/// The edge continues a client's trace (same trace id, its own span as the parent) or starts one, and
/// sends it to the origin, which puts the trace id on its log lines.
public struct TraceParent: Sendable, Hashable, CustomStringConvertible {
    /// 32 lowercase hex digits, not all zero.
    public let traceID: String
    /// 16 lowercase hex digits, not all zero.
    public let parentID: String
    /// Trace flags (bit 0: sampled).
    public let flags: UInt8

    /// Parses a header value; `nil` for anything but a valid version-00 value (RFC: then start a new trace).
    public init?(parsing value: some StringProtocol) {
        let parts = String(value).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00",
            Self.isHex(parts[1], count: 32), Self.isHex(parts[2], count: 16), Self.isHex(parts[3], count: 2),
            parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" }),
            let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        self.traceID = String(parts[1])
        self.parentID = String(parts[2])
        self.flags = flags
    }

    private init(traceID: String, parentID: String, flags: UInt8) {
        self.traceID = traceID
        self.parentID = parentID
        self.flags = flags
    }

    /// A new trace (sampled), with a random trace id and span.
    public static func startingTrace<R: RandomNumberGenerator>(using generator: inout R) -> TraceParent {
        TraceParent(traceID: randomHex(bytes: 16, using: &generator), parentID: randomHex(bytes: 8, using: &generator), flags: 1)
    }

    /// The same trace with a new span of ours as the parent of the next hop.
    public func child<R: RandomNumberGenerator>(using generator: inout R) -> TraceParent {
        TraceParent(traceID: traceID, parentID: Self.randomHex(bytes: 8, using: &generator), flags: flags)
    }

    /// The header value.
    public var description: String {
        let hexFlags = flags < 16 ? "0" + String(flags, radix: 16) : String(flags, radix: 16)
        return "00-\(traceID)-\(parentID)-\(hexFlags)"
    }

    private static func isHex(_ text: Substring, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func randomHex<R: RandomNumberGenerator>(bytes: Int, using generator: inout R) -> String {
        var text = ""
        repeat {
            text = ""
            for _ in 0..<bytes {
                let byte = UInt8.random(in: 0...255, using: &generator)
                text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
            }
        } while text.allSatisfy { $0 == "0" }
        return text
    }
}
