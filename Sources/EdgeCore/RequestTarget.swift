/// Phase 4 of the edge pipeline, first half: the request target as the cache key and the origin see it.
///
/// Normalisation removes what never changes the response and would only split the cache: the fragment,
/// tracking parameters (`utm_*`, `gclid`, `fbclid`, …, configurable) and the order of query parameters
/// (sorted by name, then value, keeping repeated names). Percent-encoding is left as sent: `%2F` and `/`
/// may mean different things to an origin.
public struct RequestTarget: Equatable, Sendable {
    /// The normalised target: path, then `?` and the sorted, filtered query if anything is left.
    public let normalized: String

    /// Query parameter names (exact) or prefixes (ending in `*`) that are dropped.
    public static let defaultTrackingParameters = ["utm_*", "gclid", "fbclid", "msclkid", "dclid", "mc_cid", "mc_eid", "_ga", "yclid"]

    /// Normalises a request target.
    /// - Parameters:
    ///   - raw: the target as received (origin-form: path and query).
    ///   - trackingParameters: names, or prefixes ending in `*`, to drop.
    public init(_ raw: String, trackingParameters: [String] = Self.defaultTrackingParameters) {
        // The common case, a bare path: no copy, no Character walk.
        guard raw.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) else {
            normalized = raw
            return
        }
        var target = Substring(raw)
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        guard let question = target.firstIndex(of: "?") else {
            normalized = String(target)
            return
        }
        let path = target[..<question]
        let query = target[target.index(after: question)...]
        let kept = query.split(separator: "&", omittingEmptySubsequences: true).filter { pair in
            let name = pair.prefix(while: { $0 != "=" })
            return !trackingParameters.contains { pattern in
                pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
            }
        }
        // Sort by name only, keeping the relative order of repeated names (`a=2&a=1` stays as sent).
        let sorted = kept.enumerated().sorted { lhs, rhs in
            let left = lhs.element.prefix(while: { $0 != "=" })
            let right = rhs.element.prefix(while: { $0 != "=" })
            return left == right ? lhs.offset < rhs.offset : left < right
        }.map(\.element)
        normalized = sorted.isEmpty ? String(path) : "\(path)?\(sorted.joined(separator: "&"))"
    }
}
