/// The identity of one storefront tenant.
///
/// A tenant id is a short slug: 1 to 63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
/// It appears in cache keys (`tenant:<id>:…`), purge tags, log metadata and metric labels, so it is
/// validated once here and can be trusted everywhere else.
public struct TenantID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The validated slug.
    public let rawValue: String

    /// Creates a tenant id, or returns `nil` when `rawValue` is not a valid slug.
    /// - Parameter rawValue: the candidate slug, e.g. `"alpine"`.
    public init?(_ rawValue: some StringProtocol) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = String(rawValue)
    }

    /// Whether `candidate` is a valid tenant slug.
    /// - Parameter candidate: the text to check.
    public static func isValid(_ candidate: some StringProtocol) -> Bool {
        let bytes = Array(candidate.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: TenantID, rhs: TenantID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let id = TenantID(raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid tenant id")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
