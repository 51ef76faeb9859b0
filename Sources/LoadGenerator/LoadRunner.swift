import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import UpstreamHTTP

/// Drives the edge with the storefront workload and collects what it saw.
public final class LoadRunner: Sendable {
    public let configuration: LoadConfiguration
    private let client: HTTP1Client
    private let plainClient: HTTP1Client
    private let statistics = LoadStatistics()
    private let group: any EventLoopGroup
    /// Product popularity per tenant id (each over its own catalogue size).
    private let samplers: [String: ZipfSampler]

    /// - Parameters:
    ///   - configuration: what to run; every tenant needs a catalogue size (its own or the configuration's).
    ///   - group: the event loops the connections run on.
    public init(configuration: LoadConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        precondition(!configuration.tenants.isEmpty && configuration.connections > 0)
        precondition(configuration.tenants.allSatisfy { configuration.products(of: $0) > 0 }, "every tenant needs a catalogue size")
        self.configuration = configuration
        self.group = group
        client = try configuration.makeEdgeClient(group: group)
        plainClient = try HTTP1Client(group: group)
        var byCount: [Int: ZipfSampler] = [:]
        var samplers: [String: ZipfSampler] = [:]
        for tenant in configuration.tenants {
            let count = configuration.products(of: tenant)
            let sampler = byCount[count] ?? ZipfSampler(count: count, exponent: configuration.zipfExponent)
            byCount[count] = sampler
            samplers[tenant.id] = sampler
        }
        self.samplers = samplers
    }

    /// Runs for the configured duration; `progress` gets each second's figures. Reads the edge's and the
    /// origins' `/metrics` before and after when their admin listeners are configured.
    public func run(progress: @escaping @Sendable (IntervalPoint) -> Void = { _ in }) async throws -> LoadReport {
        let scraper = MetricsScraper(
            edgeAdmin: configuration.edgeAdmin,
            originAdmins: configuration.originAdmins,
            client: plainClient,
            loop: group.next()
        )
        guard scraper.isConfigured else { return try await drive(progress: progress) }
        let before = await scraper.scrape()
        var report = try await drive(progress: progress)
        let after = await scraper.scrape()
        report.addServerView(before: before, after: after)
        return report
    }

    private func drive(progress: @escaping @Sendable (IntervalPoint) -> Void) async throws -> LoadReport {
        let configuration = self.configuration
        let samplers = self.samplers
        let deadline = ContinuousClock.now + configuration.duration
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for worker in 0..<configuration.connections {
                tasks.addTask {
                    var random = SplitMix64(seed: configuration.seed &* 1_000_003 &+ UInt64(worker))
                    let loop = self.group.next()
                    while ContinuousClock.now < deadline {
                        let tenant = configuration.tenants[Int.random(in: 0..<configuration.tenants.count, using: &random)]
                        let rank = samplers[tenant.id]!.sample(using: &random)
                        let withCart = Double.random(in: 0..<1, using: &random) < configuration.uncacheableShare
                        await self.request(tenant: tenant, rank: rank, withCart: withCart, worker: worker, on: loop)
                    }
                }
            }
            if configuration.updatesPerSecond > 0, !configuration.origins.isEmpty {
                tasks.addTask { try await self.updateProducts(until: deadline) }
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
        let endpoint = configuration.endpoint(for: tenant)
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
    private func updateProducts(until deadline: ContinuousClock.Instant) async throws {
        var random = SplitMix64(seed: configuration.seed &+ 0xDEAD_BEEF)
        let interval = Duration.seconds(1 / configuration.updatesPerSecond)
        var next = ContinuousClock.now
        let loop = group.next()
        var index = 0
        while ContinuousClock.now < deadline {
            next += interval
            try await Task.sleep(until: next, clock: .continuous)
            let tenant = configuration.tenants[Int.random(in: 0..<configuration.tenants.count, using: &random)]
            let rank = samplers[tenant.id]!.sample(using: &random)
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
