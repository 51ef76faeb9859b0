import EdgeGateway
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Origin
import ServiceLifecycle
import Shared

/// An edge the tests started with ``EdgeAssembly``, as the `edge` executable starts it.
public struct RunningEdge: Sendable {
    /// What the assembly built.
    public let edge: Edge
    /// The ports its listeners are bound to.
    public let ports: Edge.Ports

    /// The public listeners, cache and origin pool.
    public var server: EdgeServer { edge.server }
    /// The tenants and their certificates (tests change tenants live through it).
    public var registry: TenantRegistry { edge.registry }
    /// The public listeners' ports.
    public var publicPorts: EdgeServer.BoundPorts { EdgeServer.BoundPorts(https: ports.https, http: ports.http) }
}

extension TestEnvironment {
    /// The purge API token of edges the tests start.
    public static let edgeAdminToken = "test-edge-admin-token"

    /// An edge configuration for tests: free loopback ports (admin listener included), `tenants` as a fixed
    /// list, certificates from `certificates`, no Redis, a 5 s drain. Active health checks are off: fake
    /// origins script and count every request they get.
    public static func edgeConfiguration(
        tenants: [TenantDirectoryEntry],
        certificates: TestCertificates,
        origins: [HTTPEndpoint]
    ) -> EdgeConfiguration {
        var configuration = EdgeConfiguration(origins: origins)
        configuration.httpsPort = 0
        configuration.httpPort = 0
        configuration.tenants = .fixed(tenants)
        configuration.certificateDirectory = certificates.directory
        configuration.redis = nil
        configuration.originHealthCheck = nil
        configuration.admin = .init(bindHost: "127.0.0.1", port: 0, token: edgeAdminToken)
        configuration.drainTimeout = .seconds(5)
        // Every test client is 127.0.0.1: the rate limit tests set their own limits.
        configuration.rateLimits = .none
        return configuration
    }
}

/// Runs the edge ``EdgeAssembly`` builds from `configuration` for the duration of `body`, then shuts it down
/// gracefully (the listeners drain, the services stop).
/// - Parameters:
///   - configuration: the edge's configuration; ports 0 are free ports, reported in ``RunningEdge/ports``.
///   - body: receives the running edge.
public func withRunningEdge<Result: Sendable>(
    configuration: EdgeConfiguration,
    _ body: @Sendable (RunningEdge) async throws -> Result
) async throws -> Result {
    let (bound, continuation) = AsyncStream.makeStream(of: Edge.Ports.self)
    let edge = try await EdgeAssembly.build(configuration: configuration, logger: TestEnvironment.logger, handlesSignals: false) {
        continuation.yield($0)
        continuation.finish()
    }
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { continuation.finish() }
            try await edge.run()
        }
        defer { tasks.cancelAll() }
        var iterator = bound.makeAsyncIterator()
        guard let ports = await iterator.next() else {
            try await tasks.next()
            throw ServiceStartError.noPort
        }
        do {
            let result = try await body(RunningEdge(edge: edge, ports: ports))
            await edge.triggerGracefulShutdown()
            try await tasks.next()
            return result
        } catch {
            await edge.triggerGracefulShutdown()
            throw error
        }
    }
}

/// Runs an edge with a fixed tenant list on free loopback ports for the duration of `body`.
/// - Parameters:
///   - tenants: the storefronts the edge serves.
///   - certificates: their certificates.
///   - origins: where misses go.
///   - configure: changes to the test configuration (``TestEnvironment/edgeConfiguration(tenants:certificates:origins:)``).
///   - body: receives the registry (to change tenants live), the bound ports and the server.
public func withRunningEdge<Result: Sendable>(
    tenants: [TenantDirectoryEntry],
    certificates: TestCertificates,
    origins: [HTTPEndpoint],
    configure: (inout EdgeConfiguration) -> Void = { _ in },
    _ body: @Sendable (TenantRegistry, EdgeServer.BoundPorts, EdgeServer) async throws -> Result
) async throws -> Result {
    var configuration = TestEnvironment.edgeConfiguration(tenants: tenants, certificates: certificates, origins: origins)
    configure(&configuration)
    return try await withRunningEdge(configuration: configuration) { edge in
        try await body(edge.registry, edge.publicPorts, edge.server)
    }
}

/// Runs an edge that learns tenants like production does: from the origins' internal listeners, refreshed
/// on Redis tenant-change events (purges too), with a slow periodic refresh (so a test sees what the events
/// alone do) and active health checks.
/// - Parameters:
///   - origins: the origins' storefront listeners (the pool).
///   - internal: their internal listeners (the tenant list).
public func withRunningEdgeLearningFromOrigin<Result: Sendable>(
    origins: [HTTPEndpoint],
    internal: [HTTPEndpoint],
    certificates: TestCertificates,
    periodicRefresh: Duration = .seconds(60),
    _ body: @Sendable (TenantRegistry, EdgeServer.BoundPorts) async throws -> Result
) async throws -> Result {
    var configuration = TestEnvironment.edgeConfiguration(tenants: [], certificates: certificates, origins: origins)
    configuration.httpPort = nil
    configuration.tenants = .origin(`internal`)
    configuration.internalToken = "test-internal-token"
    configuration.tenantRefreshInterval = periodicRefresh
    configuration.redis = HTTPEndpoint(host: "127.0.0.1", port: TestEnvironment.redisPort)
    configuration.originHealthCheck = OriginHealthService.Check()
    return try await withRunningEdge(configuration: configuration) { edge in
        // Give the subscriptions a moment to be in place before the test publishes.
        try await Task.sleep(for: .milliseconds(200))
        return try await body(edge.registry, edge.publicPorts)
    }
}

public enum ServiceStartError: Error { case noPort }
