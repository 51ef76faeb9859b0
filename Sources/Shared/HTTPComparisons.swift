/// Comparisons both the edge and the origin make on request fields.
public enum HTTPComparisons {
    /// Whether `If-None-Match` field values match a stored entity tag (weak comparison, RFC 9110 §13.1.2).
    /// - Parameters:
    ///   - ifNoneMatch: every `If-None-Match` field value of the request.
    ///   - etag: the representation's entity tag, quoted.
    public static func ifNoneMatch(_ ifNoneMatch: some Sequence<String>, matches etag: String) -> Bool {
        let stored = opaque(Substring(etag))
        for value in ifNoneMatch {
            for candidate in value.split(separator: ",") {
                let tag = candidate.drop(while: { $0 == " " || $0 == "\t" })
                let trimmed = tag[..<(tag.lastIndex(where: { $0 != " " && $0 != "\t" }).map { tag.index(after: $0) } ?? tag.startIndex)]
                if trimmed == "*" || opaque(trimmed) == stored { return true }
            }
        }
        return false
    }

    private static func opaque(_ tag: Substring) -> Substring {
        tag.hasPrefix("W/") ? tag.dropFirst(2) : tag
    }

    /// Compares two secrets in time independent of where they differ.
    /// - Parameters:
    ///   - lhs: one secret.
    ///   - rhs: the other.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
