import EdgeGateway
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A storefront the load tool drives.
public struct LoadTenant: Codable, Sendable, Hashable {
    public var id: String
    public var domain: String

    public init(id: String, domain: String) {
        self.id = id
        self.domain = domain
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
    /// Products per tenant (`/products/product-1` … `product-N`).
    public var products: Int
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

    public init(edge: HTTPEndpoint, caPath: String, tenants: [LoadTenant], products: Int) {
        self.edge = edge
        self.caPath = caPath
        self.tenants = tenants
        self.products = products
    }
}

/// Drives the edge with the storefront workload and collects what it saw.
public final class LoadRunner: Sendable {
    public let configuration: LoadConfiguration
    private let client: HTTP1Client
    private let plainClient: HTTP1Client
    private let statistics = LoadStatistics()
    private let group: any EventLoopGroup

    public init(configuration: LoadConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        precondition(!configuration.tenants.isEmpty && configuration.products > 0 && configuration.connections > 0)
        self.configuration = configuration
        self.group = group
        var clientConfiguration = HTTP1Client.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(configuration.caPath)
        tls.applicationProtocols = ["http/1.1"]
        clientConfiguration.tls = tls
        clientConfiguration.maximumIdleConnectionsPerEndpoint = configuration.connections
        client = try HTTP1Client(group: group, configuration: clientConfiguration)
        plainClient = try HTTP1Client(group: group)
    }

    /// Runs for the configured duration; `progress` gets each second's figures.
    public func run(progress: @escaping @Sendable (IntervalPoint) -> Void = { _ in }) async throws -> LoadReport {
        let configuration = self.configuration
        let samplers = ZipfSampler(count: configuration.products, exponent: configuration.zipfExponent)
        let deadline = ContinuousClock.now + configuration.duration
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for worker in 0..<configuration.connections {
                tasks.addTask {
                    var random = SplitMix64(seed: configuration.seed &* 1_000_003 &+ UInt64(worker))
                    let loop = self.group.next()
                    while ContinuousClock.now < deadline {
                        let tenant = configuration.tenants[Int.random(in: 0..<configuration.tenants.count, using: &random)]
                        let rank = samplers.sample(using: &random)
                        let withCart = Double.random(in: 0..<1, using: &random) < configuration.uncacheableShare
                        await self.request(tenant: tenant, rank: rank, withCart: withCart, worker: worker, on: loop)
                    }
                }
            }
            if configuration.updatesPerSecond > 0, !configuration.origins.isEmpty {
                tasks.addTask { try await self.updateProducts(until: deadline, sampler: samplers) }
            }
            tasks.addTask {
                while ContinuousClock.now < deadline {
                    try await Task.sleep(for: .seconds(1))
                    progress(self.statistics.rotate())
                }
            }
            try await tasks.waitForAll()
        }
        let elapsed = Date().timeIntervalSince(started)
        let snapshot = statistics.snapshot
        return LoadReport(
            configuration: configuration,
            startedAt: started,
            seconds: elapsed,
            total: snapshot.total,
            perTenant: snapshot.perTenant,
            intervals: snapshot.intervals,
            updates: snapshot.updates,
            updateErrors: snapshot.updateErrors
        )
    }

    private func request(tenant: LoadTenant, rank: Int, withCart: Bool, worker: Int, on loop: any EventLoop) async {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/products/product-\(rank)")
        head.headers.add(name: "host", value: tenant.domain)
        head.headers.add(name: "user-agent", value: "storefront-load")
        if withCart { head.headers.add(name: "cookie", value: "cart=\(worker)-\(rank)") }
        let endpoint = HTTPEndpoint(
            host: configuration.edge.host,
            port: configuration.edge.port,
            tlsServerName: configuration.plainHTTP ? nil : tenant.domain
        )
        let start = ContinuousClock.now
        let result: RequestResult
        do {
            let response = try await client.execute(head, to: endpoint, on: loop, deadline: .now() + .seconds(10)).get()
            result = .answered(status: Int(response.head.status.code), cache: response.head.headers.first(name: "x-cache"))
        } catch let error as HTTPClientError {
            result = .failed(kind: error == .timeout ? "timeout" : "connection closed")
        } catch {
            result = .failed(kind: "connection failed")
        }
        let elapsed = ContinuousClock.now - start
        let microseconds = UInt64(elapsed.components.seconds) * 1_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000_000)
        statistics.record(tenant: tenant.id, result: result, microseconds: microseconds)
    }

    /// Product updates at the configured rate, popular products more often (Zipf), each purging the edges.
    private func updateProducts(until deadline: ContinuousClock.Instant, sampler: ZipfSampler) async throws {
        var random = SplitMix64(seed: configuration.seed &+ 0xDEAD_BEEF)
        let interval = Duration.seconds(1 / configuration.updatesPerSecond)
        var next = ContinuousClock.now
        let loop = group.next()
        var index = 0
        while ContinuousClock.now < deadline {
            next += interval
            try await Task.sleep(until: next, clock: .continuous)
            let tenant = configuration.tenants[Int.random(in: 0..<configuration.tenants.count, using: &random)]
            let rank = sampler.sample(using: &random)
            let origin = configuration.origins[index % configuration.origins.count]
            index += 1
            var head = HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/admin/products/product-\(rank)")
            head.headers.add(name: "host", value: tenant.domain)
            head.headers.add(name: "content-type", value: "application/json")
            let credentials = Data("load@\(tenant.domain):\(configuration.adminPassword)".utf8).base64EncodedString()
            head.headers.add(name: "authorization", value: "Basic \(credentials)")
            let body = ByteBuffer(string: #"{"priceCents":\#(Int.random(in: 100...99_999, using: &random))}"#)
            let succeeded: Bool
            do {
                let response = try await plainClient.execute(head, body: body, to: origin, on: loop, deadline: .now() + .seconds(10)).get()
                succeeded = response.head.status == .ok
            } catch {
                succeeded = false
            }
            statistics.recordUpdate(succeeded: succeeded)
        }
    }
}
