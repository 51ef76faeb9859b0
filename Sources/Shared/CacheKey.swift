/// A cache key that always lives inside one tenant's namespace: `tenant:<tenantId>:<resource>:<id>`.
///
/// The only way to build one takes a ``TenantID``, so a key without a tenant cannot be written. This is the
/// guard against the reference system's worst incident, a "popular products" list cached under a global key
/// and shown to every tenant. Two keys of different tenants never compare equal, whatever their resource and id.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// The tenant whose namespace holds this key.
    public let tenant: TenantID
    /// The full key, `tenant:<tenantId>:<resource>:<id>`.
    public let rawValue: String

    /// Creates a key in `tenant`'s namespace.
    /// - Parameters:
    ///   - tenant: the tenant that owns the cached value.
    ///   - resource: the kind of value, e.g. `"product"`, `"popular"`, `"page"`; `a-z`, `0-9`, `_`, `-` only.
    ///   - id: the value's identity within the resource, e.g. a slug or a normalised request target.
    public init(tenant: TenantID, resource: StaticString, id: some StringProtocol) {
        self.tenant = tenant
        self.rawValue = "tenant:\(tenant.rawValue):\(resource):\(id)"
    }

    public var description: String { rawValue }
}
