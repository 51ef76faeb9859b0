import ArgumentParser
import EdgeGateway
import Foundation
import LoadGenerator
import NIOCore
import NIOHTTP1
import NIOPosix
import Shared

/// Drives the real stack with a storefront workload and reports the hit rate and latency users see.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storefront-load",
        abstract: "Storefront workload against the edge: Zipf product popularity over several tenants, uncacheable cart requests, product updates with purges; live progress, then a JSON and HTML report."
    )

    @Option(help: "The edge's HTTPS listener (with --plain: any HTTP/1.1 cache, e.g. Varnish).") var edge = "127.0.0.1:8443"
    @Flag(help: "Plain HTTP instead of TLS.") var plain = false
    @Option(help: "The CA file of the storefront certificates.") var ca = ".state/certs/ca.crt"
    @Option(help: "Origins (host:port,…): tenant list, product updates, and /metrics on port+1000.") var origins = "127.0.0.1:8081,127.0.0.1:8082"
    @Option(help: "The edge's admin listener, for its /metrics (empty: not scraped).") var edgeAdmin = "127.0.0.1:9190"
    @Option(help: "Tenants as id=domain,…; default: every storefront the origins list.") var tenants = ""
    @Option(help: "Products per tenant (product-1 … product-N; `origin seed --products N` creates them).") var products = 20_000
    @Option(help: "Zipf exponent of product popularity.") var zipf = 1.0
    @Option(help: "Share of requests with a cart cookie (uncacheable).") var uncacheable = 0.05
    @Option(help: "Product updates per second (0: none); each purges the product at every edge.") var updates = 0.5
    @Option(help: "Concurrent connections.") var connections = 32
    @Option(help: "Seconds to run.") var seconds = 30
    @Option(help: "Seconds of warm-up left out of the steady-state hit ratio.") var warmUp = 10
    @Option(help: "Random seed (same seed, same request sequence per connection).") var seed: UInt64 = 42
    @Option(help: "Where report.json and report.html go.") var out = ".state/load-report"
    @Option(help: "Platform admin token (to create the tenant admin used for updates).") var adminToken = ProcessInfo.processInfo.environment["ADMIN_TOKEN"] ?? "dev-admin-token"
    @Option(help: "Internal API token (to list the tenants).") var internalToken = ProcessInfo.processInfo.environment["INTERNAL_TOKEN"] ?? "dev-internal-token"

    func run() async throws {
        guard let edgeEndpoint = HTTPEndpoint(parsing: edge) else { throw ValidationError("invalid --edge '\(edge)'") }
        let originEndpoints = origins.split(separator: ",").compactMap { HTTPEndpoint(parsing: $0.trimmingCharacters(in: .whitespaces)) }
        let plainClient = try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        func get(_ endpoint: HTTPEndpoint, _ path: String, headers: [(String, String)] = []) async throws -> (Int, String) {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "host", value: endpoint.host)
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            let response = try await plainClient.execute(head, to: endpoint, on: loop, deadline: .now() + .seconds(5)).get()
            return (Int(response.head.status.code), String(buffer: response.body))
        }

        var loadTenants: [LoadTenant] = tenants.split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: "=")
            return parts.count == 2 ? LoadTenant(id: String(parts[0]), domain: String(parts[1])) : nil
        }
        if loadTenants.isEmpty, let origin = originEndpoints.first {
            struct Listing: Decodable { struct Entry: Decodable { var domain: String; var tenantId: String }; var tenants: [Entry] }
            let (status, body) = try await get(origin, "/internal/tenants", headers: [(StorefrontHeader.internalToken, internalToken)])
            guard status == 200, let listing = try? JSONDecoder().decode(Listing.self, from: Data(body.utf8)) else {
                throw ValidationError("cannot list tenants from \(origin) (status \(status)); pass --tenants id=domain,…")
            }
            loadTenants = listing.tenants.map { LoadTenant(id: $0.tenantId, domain: $0.domain) }
        }
        guard !loadTenants.isEmpty else { throw ValidationError("no tenants") }

        var configuration = LoadConfiguration(edge: edgeEndpoint, caPath: ca, tenants: loadTenants, products: products)
        configuration.zipfExponent = zipf
        configuration.uncacheableShare = uncacheable
        configuration.updatesPerSecond = updates
        configuration.origins = originEndpoints
        configuration.connections = connections
        configuration.duration = .seconds(seconds)
        configuration.warmUp = .seconds(min(warmUp, max(0, seconds - 1)))
        configuration.seed = seed
        configuration.plainHTTP = plain
        if updates > 0, let origin = originEndpoints.first {
            try await Self.ensureAdmins(for: loadTenants, origin: origin, token: adminToken, password: configuration.adminPassword, client: plainClient, loop: loop)
        }

        let edgeAdminEndpoint = HTTPEndpoint(parsing: edgeAdmin)
        let originAdmins = originEndpoints.map { HTTPEndpoint(host: $0.host, port: $0.port + 1000) }
        func scrape() async -> (String, [String]) {
            let edgeText = await edgeAdminEndpoint.asyncMap { try? await get($0, "/metrics").1 } ?? ""
            var originTexts: [String] = []
            for admin in originAdmins { originTexts.append((try? await get(admin, "/metrics").1) ?? "") }
            return (edgeText ?? "", originTexts)
        }
        let (edgeBefore, originsBefore) = await scrape()
        FileHandle.standardError.write(Data("storefront-load: \(loadTenants.count) tenants × \(products) products, zipf \(zipf), \(connections) connections, \(seconds) s\n".utf8))
        let runner = try LoadRunner(configuration: configuration)
        var report = try await runner.run { point in
            let ratio = point.hitRatio.map { String(format: "%5.1f%%", $0 * 100) } ?? "    –"
            let line = String(format: "%4.0f s  %7d req/s  hit %@  p99 %7.2f ms  errors %d\n", point.second, point.requests, ratio, point.p99Milliseconds, point.errors)
            FileHandle.standardError.write(Data(line.utf8))
        }
        let (edgeAfter, originsAfter) = await scrape()
        report.addServerView(edgeBefore: edgeBefore, edgeAfter: edgeAfter, originsBefore: originsBefore, originsAfter: originsAfter)

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try report.json().write(to: URL(fileURLWithPath: "\(out)/report.json"))
        try Data(report.html().utf8).write(to: URL(fileURLWithPath: "\(out)/report.html"))
        let overall = report.overall
        print(String(
            format: "%d requests in %.1f s: %.0f req/s; hit ratio %@ (X-Cache), %@ (edge), %@ (origins); p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; errors %d; updates %d (%d failed)",
            overall.requests, report.seconds, overall.requestsPerSecond,
            Self.percent(overall.hitRatio), Self.percent(overall.edgeReportedHitRatio), Self.percent(report.originObservedHitRatio),
            overall.latency.p50, overall.latency.p95, overall.latency.p99, overall.latency.p999,
            overall.errors.values.reduce(0, +), report.updates, report.updateErrors
        ))
        print(String(format: "  after %.0f s of warm-up: hit ratio %@ (X-Cache)", report.warmUpSeconds, Self.percent(report.steadyHitRatio)))
        if let originRequests = report.originProductRequests, report.seconds > 0 {
            print(String(format: "  origins: %d product-page requests, %.0f req/s", originRequests, Double(originRequests) / report.seconds))
        }
        for (tenant, figures) in report.perTenant.sorted(by: { $0.key < $1.key }) {
            print(String(
                format: "  %@: %d requests, hit ratio %@ (X-Cache), %@ (edge), %@ (origins), p99 %.2f ms",
                tenant, figures.requests, Self.percent(figures.hitRatio), Self.percent(figures.edgeReportedHitRatio),
                Self.percent(figures.originObservedHitRatio), figures.latency.p99
            ))
        }
        print("report: \(out)/report.json, \(out)/report.html")
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }

    /// Creates `load@<domain>` as each tenant's admin where the tenant has none yet (409 means it has one:
    /// then updates work only if it is ours).
    static func ensureAdmins(for tenants: [LoadTenant], origin: HTTPEndpoint, token: String, password: String, client: HTTP1Client, loop: any EventLoop) async throws {
        for tenant in tenants {
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/admin/tenants/\(tenant.id)/init")
            head.headers.add(name: "host", value: origin.host)
            head.headers.add(name: "authorization", value: "Bearer \(token)")
            head.headers.add(name: "content-type", value: "application/json")
            let body = ByteBuffer(string: #"{"email":"load@\#(tenant.domain)","password":"\#(password)"}"#)
            _ = try? await client.execute(head, body: body, to: origin, on: loop, deadline: .now() + .seconds(10)).get()
        }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async -> T) async -> T? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}
