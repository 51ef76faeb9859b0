import NIOCore
import NIOSSL
import UpstreamHTTP

/// What the fault driver does: reads and a stream of orders through one or more edges for a fixed time.
public struct FaultConfiguration: Sendable {
    /// The edges' HTTPS listeners; requests go round-robin and skip an edge that refuses the connection.
    public var edges: [HTTPEndpoint]
    /// The CA that issued the storefront certificates.
    public var caPath: String
    public var tenants: [LoadTenant]
    /// `product-1` … `product-N` of every tenant are the cached pages (warmed on every edge before the run).
    public var cachedPages = 20
    /// Share of reads that go to a page never requested before (a unique query string: a miss at the edge).
    public var uncachedShare = 0.2
    /// Concurrent read loops (each one request at a time).
    public var readers = 8
    /// The deadline of one request, reroutes included.
    public var requestTimeout: Duration = .seconds(15)
    /// Orders per second (0: no writes), sent whatever the answers take (an open loop).
    public var ordersPerSecond = 2.0
    /// Idempotency keys are `<keyPrefix>-<n>`; uncached pages carry it too, so no earlier run cached them.
    /// Letters, digits, `.`, `_` and `-` only.
    public var keyPrefix: String
    /// Length of the timed run.
    public var duration: Duration = .seconds(10)
    /// After the run, how long failed orders may be retried (once each, same key and body).
    public var settle: Duration = .seconds(20)
    /// How long the cached pages may take to answer `X-Cache: HIT` on every edge before the run.
    public var warmUpDeadline: Duration = .seconds(60)
    /// Whether the report carries per-second counts.
    public var recordsTimeline = false
    /// Seed of the readers' choices (same seed, same sequence per reader).
    public var seed: UInt64 = 42

    /// - Parameters:
    ///   - edges: the edges' HTTPS listeners (at least one).
    ///   - caPath: the CA file of the storefront certificates.
    ///   - tenants: the storefronts to drive (at least one).
    ///   - keyPrefix: the run's prefix of idempotency keys.
    public init(edges: [HTTPEndpoint], caPath: String, tenants: [LoadTenant], keyPrefix: String) {
        self.edges = edges
        self.caPath = caPath
        self.tenants = tenants
        self.keyPrefix = keyPrefix
    }

    /// The first problem with the configuration, or `nil` when it can run.
    public func problem() -> String? {
        if edges.isEmpty { return "--edges names no edge" }
        if tenants.isEmpty { return "--tenants names no tenant (id=domain,…)" }
        if cachedPages < 1 { return "--cached-pages must be at least 1" }
        if !(0...1).contains(uncachedShare) { return "--uncached-share is a share from 0 to 1" }
        if readers < 0 { return "--readers must not be negative" }
        if ordersPerSecond < 0 { return "--orders-per-second must not be negative" }
        if duration <= .zero { return "--seconds must be positive" }
        if requestTimeout <= .zero { return "--request-timeout must be positive" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if keyPrefix.isEmpty || keyPrefix.count > 150 || !keyPrefix.allSatisfy(allowed.contains) {
            return "--key-prefix must be 1 to 150 letters, digits, '.', '_' or '-'"
        }
        return nil
    }

    /// Where a request for `tenant` through edge `index` goes: SNI is the tenant's domain.
    func endpoint(edge index: Int, for tenant: LoadTenant) -> HTTPEndpoint {
        HTTPEndpoint(host: edges[index].host, port: edges[index].port, tlsServerName: tenant.domain)
    }

    /// A kept-alive TLS client trusting the storefront CA. (It opens a new connection for every POST, so an
    /// order never meets a kept-alive connection the edge already closed.)
    func makeClient(group: any EventLoopGroup) throws -> HTTP1Client {
        var clientConfiguration = HTTP1Client.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        tls.applicationProtocols = ["http/1.1"]
        clientConfiguration.tls = tls
        clientConfiguration.maximumIdleConnectionsPerEndpoint = max(readers, 4)
        return try HTTP1Client(group: group, configuration: clientConfiguration)
    }
}

/// The requests of a fault run, as pure functions of their numbers.
public struct FaultWorkload: Sendable {
    public let keyPrefix: String
    public let tenants: [LoadTenant]
    public let cachedPages: Int

    /// - Parameters:
    ///   - configuration: the run's prefix, tenants and cached pages.
    public init(_ configuration: FaultConfiguration) {
        keyPrefix = configuration.keyPrefix
        tenants = configuration.tenants
        cachedPages = configuration.cachedPages
    }

    /// One of the cached pages (`page` from 1 to ``cachedPages``).
    public func cachedPath(page: Int) -> String {
        "/products/product-\(page)"
    }

    /// The `number`th page never requested before: a cached product with a query parameter the edge keys
    /// on (it keeps every non-tracking parameter) and the origin ignores, unique to this run and number.
    public func uncachedPath(number: Int) -> String {
        "/products/product-\(number % cachedPages + 1)?fault=\(keyPrefix)-\(number)"
    }

    /// Order `number` (from 1): tenants in turn, one of the cached products, quantity 1; the same key and
    /// body every time it is asked for (so a retry is an idempotent replay).
    public func order(number: Int) -> (tenant: LoadTenant, key: String, body: String) {
        let tenant = tenants[(number - 1) % tenants.count]
        let page = (number - 1) / tenants.count % cachedPages + 1
        return (tenant, key(number), #"{"lines":[{"slug":"product-\#(page)","quantity":1}]}"#)
    }

    /// The idempotency key of order `number`.
    public func key(_ number: Int) -> String {
        "\(keyPrefix)-\(number)"
    }
}
