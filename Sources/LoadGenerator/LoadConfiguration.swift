import NIOCore
import NIOSSL
import UpstreamHTTP

/// A storefront the load tool drives.
public struct LoadTenant: Codable, Sendable, Hashable {
    public var id: String
    public var domain: String
    /// Its catalogue size: `/products/product-1` … `product-N`; `nil` means the configuration's
    /// ``LoadConfiguration/products``.
    public var products: Int?

    public init(id: String, domain: String, products: Int? = nil) {
        self.id = id
        self.domain = domain
        self.products = products
    }
}

/// What the load tool does.
public struct LoadConfiguration: Sendable {
    /// The cache under test: the edge's HTTPS listener (SNI and Host are each tenant's domain), or with
    /// `plainHTTP` any HTTP/1.1 cache (Host is the tenant's domain), e.g. to compare with Varnish.
    public var edge: HTTPEndpoint
    public var plainHTTP = false
    /// The CA that issued the storefront certificates.
    public var caPath: String
    public var tenants: [LoadTenant]
    /// Products per tenant for every tenant without its own count (`--products`); `nil` when each tenant
    /// carries its own (``CatalogueProbe`` asks the stack).
    public var products: Int?
    /// Zipf exponent of product popularity.
    public var zipfExponent = 1.0
    /// Share of requests that carry a session cookie (a cart): uncacheable, passed to the origin.
    public var uncacheableShare = 0.05
    /// Product updates per second (each purges the product at every edge).
    public var updatesPerSecond = 0.0
    /// Origins for product updates (`PUT /admin/products/{slug}` as the tenant's admin).
    public var origins: [HTTPEndpoint] = []
    /// The tenant admin password for updates (the user is `load@<domain>`).
    public var adminPassword = "storefront-load passphrase"
    /// Concurrent connections (each a closed loop: one request at a time).
    public var connections = 32
    public var duration: Duration = .seconds(30)
    /// The first seconds of the run, left out of the report's steady-state hit ratio (the cache fills).
    public var warmUp: Duration = .seconds(10)
    public var seed: UInt64 = 42
    /// The edge's admin listener: its `/metrics` is read before and after the run (`nil`: not read).
    public var edgeAdmin: HTTPEndpoint?
    /// The origins' admin listeners: their `/metrics` give the requests that reached them (empty: not read).
    public var originAdmins: [HTTPEndpoint] = []
    /// The largest error share that passes (``ErrorBudget``); 0.01 is 1%.
    public var maximumErrorShare = 0.01

    /// - Parameters:
    ///   - edge: the cache under test.
    ///   - caPath: the CA file of the storefront certificates.
    ///   - tenants: the storefronts to drive.
    ///   - products: the catalogue size of every tenant without its own; `nil` when each tenant has one.
    public init(edge: HTTPEndpoint, caPath: String, tenants: [LoadTenant], products: Int? = nil) {
        self.edge = edge
        self.caPath = caPath
        self.tenants = tenants
        self.products = products
    }

    /// The catalogue size the run uses for `tenant` (0 when neither the tenant nor the configuration has one).
    public func products(of tenant: LoadTenant) -> Int {
        tenant.products ?? products ?? 0
    }

    /// Where requests for `tenant` go: the cache, with the tenant's domain as SNI unless plain HTTP.
    func endpoint(for tenant: LoadTenant) -> HTTPEndpoint {
        HTTPEndpoint(host: edge.host, port: edge.port, tlsServerName: plainHTTP ? nil : tenant.domain)
    }

    /// A kept-alive client for the cache under test, trusting the storefront CA.
    func makeEdgeClient(group: any EventLoopGroup) throws -> HTTP1Client {
        var clientConfiguration = HTTP1Client.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        tls.applicationProtocols = ["http/1.1"]
        clientConfiguration.tls = tls
        clientConfiguration.maximumIdleConnectionsPerEndpoint = connections
        return try HTTP1Client(group: group, configuration: clientConfiguration)
    }
}
