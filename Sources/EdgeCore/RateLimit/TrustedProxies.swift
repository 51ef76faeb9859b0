#if canImport(Glibc)
import Glibc
#endif

/// The proxies in front of the edge whose `X-Forwarded-For` is believed (a load balancer that terminates
/// nothing but adds the client's address), as CIDR ranges. For anyone else the client is the TCP peer: a
/// client cannot choose the address it is limited under by sending the header.
public struct TrustedProxies: Sendable, Equatable {
    /// An address range: the first `prefix` bits of `network` (4 bytes for IPv4, 16 for IPv6).
    public struct Range: Sendable, Equatable {
        let network: [UInt8]
        let prefix: Int

        /// Parses `address/prefix` or a bare address.
        public init?(parsing text: String) {
            let parts = text.split(separator: "/", maxSplits: 1)
            guard let address = parts.first.flatMap({ TrustedProxies.bytes(of: String($0)) }) else { return nil }
            let prefix = parts.count == 2 ? Int(parts[1]) : address.count * 8
            guard let prefix, (0...address.count * 8).contains(prefix) else { return nil }
            network = address
            self.prefix = prefix
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var bits = prefix
            for index in network.indices where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if address[index] & mask != network[index] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    public let ranges: [Range]

    public init(_ ranges: [Range] = []) {
        self.ranges = ranges
    }

    /// Parses `cidr,cidr,…`; `nil` if any is invalid. An empty text trusts no one.
    public init?(parsing text: String) {
        var ranges: [Range] = []
        for part in text.split(separator: ",") {
            guard let range = Range(parsing: Self.trimmed(part)) else { return nil }
            ranges.append(range)
        }
        self.ranges = ranges
    }

    public func trusts(_ address: String) -> Bool {
        guard !ranges.isEmpty, let bytes = Self.bytes(of: address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client's address: the TCP peer, unless the peer is trusted; then the right-most address of
    /// `X-Forwarded-For` (all its fields, in order) that is not itself a trusted proxy. A malformed entry
    /// stops the walk at the last address known good.
    public func clientAddress(peer: String, forwardedFor: [String]) -> String {
        guard trusts(peer) else { return peer }
        var client = peer
        for field in forwardedFor.reversed() {
            for entry in field.split(separator: ",").reversed() {
                let address = Self.trimmed(entry)
                guard Self.bytes(of: address) != nil else { return client }
                client = address
                if !trusts(address) { return client }
            }
        }
        return client
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// The address's bytes (4 for IPv4, 16 for IPv6), or `nil` if it is not an IP address.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
