/// The directives of `Cache-Control` header fields that the edge acts on (RFC 9111 §5.2).
///
/// Parsing is forgiving of what clients and origins send in practice: several header fields are merged,
/// directive names are case-insensitive, quoted values are unquoted, and a malformed numeric value makes the
/// directive count as invalid. For `max-age` and `s-maxage` an invalid value is treated as `0` (stale at once),
/// the conservative reading RFC 9111 §4.2.1 recommends for a cache. Unknown directives are ignored.
public struct CacheControl: Equatable, Sendable {
    public var maxAge: Int?
    public var sharedMaxAge: Int?
    public var noStore = false
    public var noCache = false
    public var isPrivate = false
    public var isPublic = false
    public var mustRevalidate = false
    public var proxyRevalidate = false
    /// RFC 5861: serve stale this long while revalidating in the background.
    public var staleWhileRevalidate: Int?
    /// RFC 5861: serve stale this long when the origin fails.
    public var staleIfError: Int?

    /// Parses every `Cache-Control` field value of a message.
    /// - Parameter fieldValues: the raw field values, in order.
    public init(fieldValues: some Sequence<String>) {
        for value in fieldValues {
            for directive in Self.split(value) { apply(directive) }
        }
    }

    private mutating func apply(_ directive: (name: Substring, value: Substring?)) {
        switch directive.name.lowercased() {
        case "max-age": maxAge = Self.mergedSeconds(maxAge, directive.value)
        case "s-maxage": sharedMaxAge = Self.mergedSeconds(sharedMaxAge, directive.value)
        case "no-store": noStore = true
        // `no-cache="field"` only restricts reuse of the named fields; the edge treats it as plain no-cache.
        case "no-cache": noCache = true
        case "private": isPrivate = true
        case "public": isPublic = true
        case "must-revalidate": mustRevalidate = true
        case "proxy-revalidate": proxyRevalidate = true
        case "stale-while-revalidate": staleWhileRevalidate = Self.mergedSeconds(staleWhileRevalidate, directive.value)
        case "stale-if-error": staleIfError = Self.mergedSeconds(staleIfError, directive.value)
        default: break
        }
    }

    /// A duplicated delta-seconds directive keeps the smaller value; an invalid one counts as 0.
    private static func mergedSeconds(_ existing: Int?, _ raw: Substring?) -> Int {
        let parsed = raw.flatMap(deltaSeconds) ?? 0
        return existing.map { min($0, parsed) } ?? parsed
    }

    /// `delta-seconds` (RFC 9111 §1.2.2): digits only; values beyond 2^31 are capped there.
    static func deltaSeconds(_ raw: Substring) -> Int? {
        guard !raw.isEmpty, raw.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        guard raw.utf8.count <= 10, let value = Int(raw) else { return 2_147_483_648 }
        return min(value, 2_147_483_648)
    }

    private static func split(_ value: String) -> [(name: Substring, value: Substring?)] {
        var result: [(Substring, Substring?)] = []
        var rest = Substring(value)
        while !rest.isEmpty {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
            guard !rest.isEmpty else { break }
            let nameEnd = rest.firstIndex(where: { $0 == "=" || $0 == "," }) ?? rest.endIndex
            let name = rest[..<nameEnd].trimmingSpaces()
            rest = rest[nameEnd...]
            var directiveValue: Substring?
            if rest.first == "=" {
                rest = rest.dropFirst().drop(while: { $0 == " " || $0 == "\t" })
                if rest.first == "\"" {
                    let body = rest.dropFirst()
                    let close = body.firstIndex(of: "\"") ?? body.endIndex
                    directiveValue = body[..<close]
                    rest = close == body.endIndex ? body[close...] : body[body.index(after: close)...]
                    rest = rest.drop(while: { $0 != "," })
                } else {
                    let end = rest.firstIndex(of: ",") ?? rest.endIndex
                    directiveValue = rest[..<end].trimmingSpaces()
                    rest = rest[end...]
                }
            }
            if !name.isEmpty { result.append((name, directiveValue)) }
        }
        return result
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let start = firstIndex(where: { $0 != " " && $0 != "\t" }) ?? endIndex
        let end = lastIndex(where: { $0 != " " && $0 != "\t" }).map { index(after: $0) } ?? start
        return start < end ? self[start..<end] : self[start..<start]
    }
}
