import EdgeGateway
import Logging
import RedisClient
import ServiceLifecycle
import Shared
import TestSupport
import Testing

/// Purge propagation to two edges through Redis pub/sub. The latency figures are printed, not asserted
/// (speed is measured by benchmarks, never by tests); the test asserts that every purge reaches both edges.
@Suite struct PurgeLatencyTests {
    @Test func purgeReachesTwoEdges() async throws {
        let origin = try await FakeOrigin.start { head in
            let product = head.uri.split(separator: "/").last.map(String.init) ?? "0"
            return FakeOrigin.Reply(
                headers: [
                    ("cache-control", "public, s-maxage=300"),
                    (StorefrontHeader.tenant, "alpine"),
                    (StorefrontHeader.surrogateKey, "tenant:alpine tenant:alpine:product:\(product)"),
                ],
                body: "product \(product)"
            )
        }
        defer { Task { await origin.stop() } }
        let domain = "alpine-\(UInt32.random(in: 0..<UInt32.max)).test"
        let certificates = try await TestCertificates(domains: [domain])
        defer { certificates.remove() }
        let client = try HTTPSTestClient(caPath: certificates.caPath)
        let tenants = [TenantDirectoryEntry(domain: HostName(normalising: domain)!, tenantID: TenantID("alpine")!)]
        let origins = [HTTPEndpoint(host: "127.0.0.1", port: origin.port)]
        let redis = RedisClient.forTests(port: TestEnvironment.redisPort)
        defer { Task { await redis.shutdown() } }

        try await withRunningEdge(tenants: tenants, certificates: certificates, origins: origins) { _, portsA, edgeA in
            try await withRunningEdge(tenants: tenants, certificates: certificates, origins: origins) { _, portsB, edgeB in
                let logger = TestEnvironment.logger
                let services = [edgeA, edgeB].map {
                    PurgeEventsService(host: "127.0.0.1", port: TestEnvironment.redisPort, server: $0, logger: logger)
                }
                // As EdgeAssembly does before serving: an edge with no stream position yet drops everything it
                // holds when it first connects (it cannot know what it missed), which raced the warm-up below.
                for service in services { await service.takeInitialPosition() }
                let group = ServiceGroup(
                    services: services,
                    gracefulShutdownSignals: [],
                    logger: logger
                )
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    defer { tasks.cancelAll() }
                    // Both edges subscribed: a warm-up page's purge, published until it reaches both.
                    let alpine = TenantID("alpine")!
                    for port in [portsA.https, portsB.https] {
                        _ = try await client.request("/p/warm-up", port: port, serverName: domain)
                    }
                    let warm = (edgeA.cachedObjects(of: alpine), edgeB.cachedObjects(of: alpine))
                    let warmUp = #"{"tenant":"alpine","tags":["tenant:alpine:product:warm-up"],"soft":false}"#
                    try await waitUntil("both edges subscribed to purge events (a warm-up purge reached both)", pollEvery: .milliseconds(50)) {
                        _ = try await redis.send([Array("PUBLISH".utf8), Array(StorefrontEvents.purgeChannel.utf8), Array(warmUp.utf8)])
                        return edgeA.cachedObjects(of: alpine) < warm.0 && edgeB.cachedObjects(of: alpine) < warm.1
                    }
                    var latencies: [Duration] = []
                    for product in 0..<50 {
                        for port in [portsA.https, portsB.https] {
                            _ = try await client.request("/p/\(product)", port: port, serverName: domain)
                        }
                        let before = (edgeA.cachedObjects(of: alpine), edgeB.cachedObjects(of: alpine))
                        let event = #"{"tenant":"alpine","tags":["tenant:alpine:product:\#(product)"],"soft":false}"#
                        let start = ContinuousClock.now
                        try await redis.send([Array("PUBLISH".utf8), Array(StorefrontEvents.purgeChannel.utf8), Array(event.utf8)])
                        try await waitUntil("purge \(product) to reach both edges", timeout: .seconds(5), pollEvery: .microseconds(200)) {
                            edgeA.cachedObjects(of: alpine) < before.0 && edgeB.cachedObjects(of: alpine) < before.1
                        }
                        latencies.append(ContinuousClock.now - start)
                    }
                    let sorted = latencies.sorted()
                    let p50 = sorted[sorted.count / 2]
                    let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
                    print("purge propagation to two edges over \(sorted.count) purges: p50 \(p50), p99 \(p99), max \(sorted.last!)")
                    await group.triggerGracefulShutdown()
                }
            }
        }
    }
}
