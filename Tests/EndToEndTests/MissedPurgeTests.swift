import EdgeGateway
import Foundation
import Origin
import PostgresNIO
import Shared
import TestSupport
import Testing

/// Purges survive Redis outages: a purge the origin could not publish waits in its outbox, an edge cut off
/// when it was published catches up when it reconnects, and an edge that cannot know what it missed drops
/// its cache. Each test runs its own redis-server (stopped and started by the test).
@Suite struct MissedPurgeTests {
    /// Redis down during a rename, the edge still cut off when the origin publishes it: the edge catches up.
    @Test func renameDuringRedisOutageReachesTheEdge() async throws {
        let redis = try await RedisServerProcess.start(persistent: true)
        let cutOff = try await FaultRelay.start(to: redis.port)
        do {
            try await renameDuringOutage(redis: redis, edgeRedis: cutOff)
            await cutOff.close()
            await redis.remove()
        } catch {
            await cutOff.close()
            await redis.remove()
            throw error
        }
    }

    private func renameDuringOutage(redis: RedisServerProcess, edgeRedis: FaultRelay) async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Outage Shop")
            try await db.createTenant(spec, products: 3)
            let domain = spec.domain.rawValue
            let certificates = try await TestCertificates(domains: [domain])
            defer { certificates.remove() }
            let client = try HTTPSTestClient(caPath: certificates.caPath)
            var originConfiguration = TestEnvironment.originConfiguration()
            originConfiguration.redis.port = redis.port
            let destination = "127.0.0.1:\(redis.port)"
            try await withRunningOriginListeners(configuration: originConfiguration) { origin in
                let originPort = origin.storefront
                let login = try await Self.initialiseAdmin(spec, internalPort: origin.internal)
                var edgeConfiguration = TestEnvironment.edgeConfiguration(
                    tenants: [TenantDirectoryEntry(domain: spec.domain, tenantID: spec.id)],
                    certificates: certificates,
                    origins: [HTTPEndpoint(host: "127.0.0.1", port: originPort)]
                )
                edgeConfiguration.redis = HTTPEndpoint(host: "127.0.0.1", port: edgeRedis.port)
                try await withRunningEdge(configuration: edgeConfiguration) { edge in
                    let https = edge.publicPorts.https
                    for path in ["/products/product-2", "/products/product-3"] {
                        _ = try await client.request(path, port: https, serverName: domain)
                        let cached = try await client.request(path, port: https, serverName: domain)
                        #expect(cached.head.headers.first(name: "x-cache") == "HIT")
                    }

                    try await redis.stop()
                    let renamed = try await PlainHTTP.send(
                        .PUT,
                        "/admin/products/product-2",
                        host: domain,
                        port: originPort,
                        headers: [("authorization", login)],
                        body: #"{"title":"Renamed While Redis Was Down"}"#
                    )
                    #expect(renamed.head.status == .ok)
                    #expect(try await Self.pendingEvents(db, destination: destination) > 0, "the purge waits in the outbox")

                    // The edge stays cut off until the origin's relay has published the purge.
                    try await edgeRedis.set(.refuse)
                    try await redis.start()
                    try await waitUntil("the origin's relay to publish the kept purge", timeout: .seconds(20), pollEvery: .milliseconds(100)) {
                        try await Self.pendingEvents(db, destination: destination) == 0
                    }
                    try await edgeRedis.set(.forward)
                    try await waitUntil("the edge to serve the new name", timeout: .seconds(20), pollEvery: .milliseconds(100)) {
                        let page = try await client.request("/products/product-2", port: https, serverName: domain)
                        return page.text.contains("Renamed While Redis Was Down")
                    }
                    // It caught up from its position: the other product's page was not dropped.
                    let untouched = try await client.request("/products/product-3", port: https, serverName: domain)
                    #expect(untouched.head.headers.first(name: "x-cache") == "HIT")
                }
            }
        }
    }

    /// Redis restarted empty (the stream and its epoch lost): the edge drops every tenant's cached objects.
    @Test func lostStreamDropsEveryTenantsObjects() async throws {
        let redis = try await RedisServerProcess.start(persistent: false)
        do {
            try await dropsAfterStreamLoss(redis: redis)
            await redis.remove()
        } catch {
            await redis.remove()
            throw error
        }
    }

    private func dropsAfterStreamLoss(redis: RedisServerProcess) async throws {
        let alpine = TenantID("alpine")!
        let harbor = TenantID("harbor")!
        let suffix = UInt32.random(in: 0..<UInt32.max)
        let domains = [alpine: "alpine-\(suffix).test", harbor: "harbor-\(suffix).test"]
        let origin = try await FakeOrigin.start { head in
            let tenant = head.headers.first(name: StorefrontHeader.tenant) ?? "alpine"
            return FakeOrigin.Reply(
                headers: [
                    ("cache-control", "public, s-maxage=300"),
                    (StorefrontHeader.tenant, tenant),
                    (StorefrontHeader.surrogateKey, "tenant:\(tenant)"),
                ],
                body: "page of \(tenant)"
            )
        }
        defer { Task { await origin.stop() } }
        let certificates = try await TestCertificates(domains: Array(domains.values))
        defer { certificates.remove() }
        let client = try HTTPSTestClient(caPath: certificates.caPath)
        let tenants = domains.map { TenantDirectoryEntry(domain: HostName(normalising: $0.value)!, tenantID: $0.key) }
        try await withRunningEdge(
            tenants: tenants,
            certificates: certificates,
            origins: [HTTPEndpoint(host: "127.0.0.1", port: origin.port)],
            configure: { $0.redis = HTTPEndpoint(host: "127.0.0.1", port: redis.port) }
        ) { _, ports, server in
            for (_, domain) in domains {
                for page in 1...3 { _ = try await client.request("/p/\(page)", port: ports.https, serverName: domain) }
            }
            #expect(server.cachedObjects(of: alpine) == 3)
            #expect(server.cachedObjects(of: harbor) == 3)

            try await redis.stop()
            try await redis.start()
            try await waitUntil("the edge to drop what it cannot vouch for", timeout: .seconds(20), pollEvery: .milliseconds(50)) {
                server.cachedObjects(of: alpine) == 0 && server.cachedObjects(of: harbor) == 0
            }
        }
    }

    /// Gives `spec` an admin user; returns its Basic credentials.
    static func initialiseAdmin(_ spec: Seeder.TenantSpec, internalPort: Int) async throws -> String {
        let password = "outage outage outage"
        let initialised = try await PlainHTTP.send(
            .POST,
            "/admin/tenants/\(spec.id.rawValue)/init",
            host: "origin.internal",
            port: internalPort,
            headers: [("authorization", "Bearer test-admin-token")],
            body: #"{"email":"ops@outage.test","password":"\#(password)"}"#
        )
        #expect(initialised.head.status == .created)
        return "Basic " + Data("ops@outage.test:\(password)".utf8).base64EncodedString()
    }

    /// Events waiting in the outbox for the Redis at `destination`.
    static func pendingEvents(_ db: TestDatabase, destination: String) async throws -> Int {
        let rows = try await db.owner.query("SELECT count(*)::int FROM event_outbox WHERE destination = \(destination)")
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
