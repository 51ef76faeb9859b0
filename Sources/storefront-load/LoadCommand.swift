import ArgumentParser
import Foundation
import LoadGenerator
import NIOCore
import NIOPosix
import UpstreamHTTP

/// Drives the real stack with a storefront workload and reports the hit rate and latency users see (the
/// default subcommand: `storefront-load --edge …` runs it).
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Storefront workload against the edge: Zipf product popularity over several tenants, uncacheable cart requests, product updates with purges; live progress, then a JSON and HTML report.",
        discussion: "Exits with status 2 when the share of failed requests is above --max-error-rate (after writing the report)."
    )

    @Option(help: "The edge's HTTPS listener (with --plain: any HTTP/1.1 cache, e.g. Varnish).") var edge = "127.0.0.1:8443"
    @Flag(help: "Plain HTTP instead of TLS.") var plain = false
    @Option(help: "The CA file of the storefront certificates.") var ca = ".state/certs/ca.crt"
    @Option(help: "Origins (host:port,…): product updates.") var origins = "127.0.0.1:8081,127.0.0.1:8082"
    @Option(
        help:
            "The origins' internal listeners: tenant list, tenant admins, /metrics (host:port,…); default: each origin's port + 1000 (the dev stack's)."
    )
    var originAdmins = ""
    @Option(help: "The edge's admin listener, for its /metrics (empty: not scraped).") var edgeAdmin = "127.0.0.1:9190"
    @Option(help: "Tenants as id=domain,…; default: every storefront the origins list.") var tenants = ""
    @Option(help: "Products per tenant (product-1 … product-N); default: each tenant's catalogue size, asked of the stack through the edge.")
    var products: Int?
    @Option(help: "Zipf exponent of product popularity.") var zipf = 1.0
    @Option(help: "Share of requests with a cart cookie (uncacheable).") var uncacheable = 0.05
    @Option(help: "Product updates per second (0: none); each purges the product at every edge.") var updates = 0.5
    @Option(help: "Concurrent connections.") var connections = 32
    @Option(help: "Seconds to run.") var seconds = 30
    @Option(help: "Seconds of warm-up left out of the steady-state hit ratio.") var warmUp = 10
    @Option(help: "Random seed (same seed, same request sequence per connection).") var seed: UInt64 = 42
    @Option(
        help:
            "Largest share of failed requests (status ≥ 400, timeouts, connection failures) that passes, e.g. 0.01 = 1%; above it the exit status is 2."
    )
    var maxErrorRate = 0.01
    @Option(help: "Where report.json and report.html go.") var out = ".state/load-report"
    @Option(help: "Platform admin token (to create the tenant admin used for updates).") var adminToken =
        ProcessInfo.processInfo.environment["ADMIN_TOKEN"] ?? "dev-admin-token"
    @Option(help: "Internal API token (to list the tenants).") var internalToken =
        ProcessInfo.processInfo.environment["INTERNAL_TOKEN"] ?? "dev-internal-token"

    func validate() throws {
        guard (0...1).contains(maxErrorRate) else { throw ValidationError("--max-error-rate is a share from 0 to 1 (0.01 = 1%)") }
        if let products, products < 1 { throw ValidationError("--products must be at least 1") }
    }

    func run() async throws {
        guard let edgeEndpoint = HTTPEndpoint(parsing: edge) else { throw ValidationError("invalid --edge '\(edge)'") }
        let originEndpoints = Self.endpoints(origins)
        let internalEndpoints =
            originAdmins.isEmpty ? originEndpoints.map { HTTPEndpoint(host: $0.host, port: $0.port + 1000) } : Self.endpoints(originAdmins)
        let setup = Setup(client: try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton))
        var loadTenants = Self.parseTenants(tenants)
        if loadTenants.isEmpty, let origin = internalEndpoints.first {
            loadTenants = try await setup.listTenants(origin: origin, token: internalToken)
        }
        guard !loadTenants.isEmpty else { throw ValidationError("no tenants") }

        var configuration = LoadConfiguration(edge: edgeEndpoint, caPath: ca, tenants: loadTenants, products: products)
        configuration.plainHTTP = plain
        if products == nil {
            configuration.tenants = try await CatalogueProbe(configuration: configuration).tenantsWithCatalogueSizes()
        }
        configuration.zipfExponent = zipf
        configuration.uncacheableShare = uncacheable
        configuration.updatesPerSecond = updates
        configuration.origins = originEndpoints
        configuration.connections = connections
        configuration.duration = .seconds(seconds)
        configuration.warmUp = .seconds(min(warmUp, max(0, seconds - 1)))
        configuration.seed = seed
        configuration.edgeAdmin = HTTPEndpoint(parsing: edgeAdmin)
        configuration.originAdmins = internalEndpoints
        configuration.maximumErrorShare = maxErrorRate
        if updates > 0, let origin = internalEndpoints.first {
            await setup.ensureAdmins(for: loadTenants, origin: origin, token: adminToken, password: configuration.adminPassword)
        }

        Summary.announce(configuration, seconds: seconds)
        let report = try await LoadRunner(configuration: configuration).run { point in Summary.progress(point) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try report.json().write(to: URL(fileURLWithPath: "\(out)/report.json"))
        try Data(report.html().utf8).write(to: URL(fileURLWithPath: "\(out)/report.html"))
        Summary.print(report, out: out)
        if report.errorBudget.exceeded { throw ExitCode(2) }
    }

    static func endpoints(_ list: String) -> [HTTPEndpoint] {
        list.split(separator: ",").compactMap { HTTPEndpoint(parsing: $0.trimmingCharacters(in: .whitespaces)) }
    }

    static func parseTenants(_ list: String) -> [LoadTenant] {
        list.split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: "=")
            return parts.count == 2 ? LoadTenant(id: String(parts[0]), domain: String(parts[1])) : nil
        }
    }
}
