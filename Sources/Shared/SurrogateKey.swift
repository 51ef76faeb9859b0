/// A purge tag (surrogate key) scoped to one tenant.
///
/// Origin responses name their tags in the ``StorefrontHeader/surrogateKey`` header, space separated; a purge
/// of a tag only ever touches the tenant that owns it, because every tag carries its tenant.
public struct SurrogateKey: Hashable, Sendable, CustomStringConvertible {
    /// The full tag, e.g. `tenant:alpine` or `tenant:alpine:product:42`.
    public let rawValue: String

    private init(rawValue: String) { self.rawValue = rawValue }

    /// The tag every response of `tenant` carries; purging it empties the tenant's cache.
    /// - Parameter tenant: the tenant.
    public static func tenant(_ tenant: TenantID) -> SurrogateKey {
        SurrogateKey(rawValue: "tenant:\(tenant.rawValue)")
    }

    /// The tag of one product of `tenant`.
    /// - Parameters:
    ///   - tenant: the product's tenant.
    ///   - productID: the product's id.
    public static func product(_ tenant: TenantID, _ productID: Int64) -> SurrogateKey {
        SurrogateKey(rawValue: "tenant:\(tenant.rawValue):product:\(productID)")
    }

    /// The tag of `tenant`'s catalogue listings (product lists, popular products), which change when a
    /// product is added, changed or removed.
    /// - Parameter tenant: the tenant.
    public static func catalogue(_ tenant: TenantID) -> SurrogateKey {
        SurrogateKey(rawValue: "tenant:\(tenant.rawValue):catalogue")
    }

    /// The tag the edge gives every stored variant of one URL of `tenant`, so a purge by URL (or an
    /// invalidation after an unsafe request) removes all of them.
    /// - Parameters:
    ///   - tenant: the tenant.
    ///   - target: the normalised request target.
    public static func url(_ tenant: TenantID, _ target: String) -> SurrogateKey {
        SurrogateKey(rawValue: "tenant:\(tenant.rawValue):url:\(target)")
    }

    /// Parses a `Surrogate-Key` header value, keeping only the tags that belong to `tenant`.
    /// - Parameters:
    ///   - headerValue: space-separated tags.
    ///   - tenant: the tenant the response was produced for; tags of any other tenant are dropped.
    public static func parse(_ headerValue: some StringProtocol, for tenant: TenantID) -> [SurrogateKey] {
        let prefix = "tenant:\(tenant.rawValue)"
        return headerValue.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).compactMap { tag in
            guard tag == prefix || tag.hasPrefix(prefix + ":") else { return nil }
            return SurrogateKey(rawValue: String(tag))
        }
    }

    public var description: String { rawValue }
}
