/// A host name normalised for tenant lookup.
///
/// Normalisation lower-cases the name, removes a port (`shop.test:8443`, `[::1]:443`), a trailing dot and one
/// leading `www.`, so `WWW.Shop.Test.:8443` and `shop.test` name the same storefront. A name that is not a
/// plausible DNS name (empty labels, characters outside `a-z 0-9 - .`, longer than 253 bytes) is rejected, so
/// nothing odd ever reaches a lookup table, a log line or a cache key.
public struct HostName: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The normalised name, e.g. `shop.test`.
    public let rawValue: String

    /// Normalises a `Host` header value or an SNI server name.
    /// - Parameter raw: the value as received, e.g. `"WWW.Shop.Test:8443"`.
    /// - Returns: the normalised host name, or `nil` when the value is not a valid host name.
    public init?(normalising raw: some StringProtocol) {
        var bytes = Array(raw.utf8)
        // Strip surrounding optional whitespace (a Host header value may carry it).
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            bytes.removeFirst()
        }
        guard !bytes.isEmpty else { return nil }
        if bytes.first == UInt8(ascii: "[") {
            // An IPv6 literal never names a storefront.
            return nil
        }
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let port = bytes[(colon + 1)...]
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ (48...57).contains($0) }) else { return nil }
            bytes.removeSubrange(colon...)
        }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        for index in bytes.indices where (65...90).contains(bytes[index]) { bytes[index] += 32 }
        if bytes.count > 4, bytes.starts(with: "www.".utf8) { bytes.removeFirst(4) }
        guard Self.isValidDNSName(bytes) else { return nil }
        self.rawValue = String(decoding: bytes, as: UTF8.self)
    }

    private static func isValidDNSName(_ bytes: [UInt8]) -> Bool {
        guard (1...253).contains(bytes.count) else { return false }
        var labelLength = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0 else { return false }
                labelLength = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                labelLength += 1
                guard labelLength <= 63 else { return false }
            default:
                return false
            }
        }
        return labelLength > 0
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let host = HostName(normalising: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid host name")
        }
        self = host
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
