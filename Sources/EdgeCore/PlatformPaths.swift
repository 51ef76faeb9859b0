/// The origin's platform routes, which the public edge never forwards: tenant onboarding
/// (`/admin/tenants…`, the platform's bearer token) and the internal API (`/internal/…`, the edge's own
/// tenant list). Tenant-admin routes (`/admin/products…`, a tenant's staff) are not platform routes.
///
/// The decision reads the path as any origin framework might: percent-decoded (repeatedly, so `%2569`
/// counts as `i`), ASCII case ignored, empty and `.` segments skipped, `..` applied, `\` taken as `/` and
/// `;parameters` cut from a segment. So `/%69nternal/tenants`, `//internal/tenants`, `/./Internal/tenants`
/// and `/x/../internal/tenants` are all refused. The common target (no `%`, `\`, `;`, `//` or `/.`) is
/// decided in one pass over its bytes, without allocating.
public enum PlatformPaths {
    /// Whether `target` (origin-form: path, then query) names a platform route.
    public static func refuses(_ target: String) -> Bool {
        var utf8 = target.utf8[...]
        if let end = utf8.firstIndex(where: { $0 == questionMark || $0 == hash }) { utf8 = utf8[..<end] }
        if needsDecoding(utf8) { return refuses(segments: slowSegments(Array(utf8))) }
        // Plain path: the first two segments as sent.
        var rest = utf8.drop { $0 == slash }
        let first = rest.prefix { $0 != slash }
        rest = rest.dropFirst(first.count).drop { $0 == slash }
        let second = rest.prefix { $0 != slash }
        return isPlatform(first: first, second: second)
    }

    private static let slash = UInt8(ascii: "/")
    private static let questionMark = UInt8(ascii: "?")
    private static let hash = UInt8(ascii: "#")
    private static let internalName = Array("internal".utf8)
    private static let adminName = Array("admin".utf8)
    private static let tenantsName = Array("tenants".utf8)

    private static func isPlatform<C: Collection<UInt8>>(first: C, second: C) -> Bool {
        if equalsIgnoringCase(first, internalName) { return true }
        return equalsIgnoringCase(first, adminName) && equalsIgnoringCase(second, tenantsName)
    }

    private static func refuses(segments: [[UInt8]]) -> Bool {
        guard let first = segments.first else { return false }
        return isPlatform(first: first, second: segments.count > 1 ? segments[1] : [])
    }

    /// Whether the path holds anything the plain pass does not read as an origin would.
    private static func needsDecoding(_ path: Substring.UTF8View) -> Bool {
        var previous: UInt8 = 0
        for byte in path {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "\\"), UInt8(ascii: ";"): return true
            case slash where previous == slash: return true
            case UInt8(ascii: ".") where previous == slash: return true
            default: break
            }
            previous = byte
        }
        return false
    }

    /// The path's segments after decoding, dot-segment removal and `;parameter` cutting.
    private static func slowSegments(_ raw: [UInt8]) -> [[UInt8]] {
        var path = raw
        // `%2569` is `%69` after one decoding and `i` after two; stop when nothing changes.
        for _ in 0..<4 {
            let decoded = percentDecoded(path)
            if decoded == path { break }
            path = decoded
        }
        var segments: [[UInt8]] = []
        for piece in path.split(whereSeparator: { $0 == slash || $0 == UInt8(ascii: "\\") }) {
            let name = piece.prefix { $0 != UInt8(ascii: ";") }
            if name.isEmpty || name.elementsEqual([UInt8(ascii: ".")]) { continue }
            if name.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                _ = segments.popLast()
                continue
            }
            segments.append(Array(name))
        }
        return segments
    }

    private static func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func equalsIgnoringCase<C: Collection<UInt8>>(_ bytes: C, _ lowercase: [UInt8]) -> Bool {
        guard bytes.count == lowercase.count else { return false }
        return zip(bytes, lowercase).allSatisfy { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
        }
    }
}
