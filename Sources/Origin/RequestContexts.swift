import Hummingbird
import Shared

/// The origin's request context: the storefront the Host named, once ``TenantMiddleware`` resolved it.
public struct OriginRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The storefront of the request's Host, if it names one.
    public var storefront: Storefront?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }
}

/// The context of every route that touches tenant data. It cannot be made without a storefront, so such a
/// route cannot run for an unknown host: the router answers 404 before the handler runs.
public struct TenantRequestContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let storefront: Storefront
    /// The request's tenant.
    public var tenant: TenantID { storefront.tenantID }

    public init(context: OriginRequestContext) throws {
        guard let storefront = context.storefront else {
            // The body names no tenant: an unknown host learns nothing about who is served here.
            throw HTTPError(.notFound, message: "unknown storefront")
        }
        self.coreContext = context.coreContext
        self.storefront = storefront
    }
}
