import EdgeGateway
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Origin
import ServiceLifecycle
import Shared

/// Runs an edge with a fixed tenant list on free loopback ports for the duration of `body`.
/// - Parameters:
///   - tenants: the storefronts the edge serves.
///   - certificates: their certificates.
///   - origins: where misses go.
///   - configure: changes to the default test configuration.
///   - body: receives the registry (to change tenants live), the bound ports and the server.
public func withRunningEdge<Result: Sendable>(
    tenants: [TenantDirectoryEntry],
    certificates: TestCertificates,
    origins: [HTTPEndpoint],
    configure: (inout EdgeConfiguration) -> Void = { _ in },
    _ body: @Sendable (TenantRegistry, EdgeServer.BoundPorts, EdgeServer) async throws -> Result
) async throws -> Result {
    var configuration = EdgeConfiguration(origins: origins)
    configuration.httpsPort = 0
    configuration.httpPort = 0
    configure(&configuration)
    let registry = TenantRegistry(certificateDirectory: certificates.directory, logger: TestEnvironment.logger)
    registry.update(tenants)
    let server = try EdgeServer(configuration: configuration, registry: registry, logger: TestEnvironment.logger)
    let listeners = try await server.start()
    do {
        let result = try await body(registry, listeners.ports, server)
        await listeners.close()
        return result
    } catch {
        await listeners.close()
        throw error
    }
}

/// Runs an edge that learns tenants like production does: from the origins' internal API, refreshed on
/// Redis tenant-change events, with a slow periodic refresh (so a test sees what the events alone do).
public func withRunningEdgeLearningFromOrigin<Result: Sendable>(
    origins: [HTTPEndpoint],
    certificates: TestCertificates,
    periodicRefresh: Duration = .seconds(60),
    _ body: @Sendable (TenantRegistry, EdgeServer.BoundPorts) async throws -> Result
) async throws -> Result {
    var configuration = EdgeConfiguration(origins: origins)
    configuration.httpsPort = 0
    configuration.httpPort = nil
    let logger = TestEnvironment.logger
    let registry = TenantRegistry(certificateDirectory: certificates.directory, logger: logger)
    let source = OriginTenantSource(
        client: try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton),
        endpoints: origins,
        token: "test-internal-token",
        eventLoop: MultiThreadedEventLoopGroup.singleton.next()
    )
    let refresher = TenantRefreshService(source: source, registry: registry, interval: periodicRefresh, logger: logger)
    await refresher.refreshOnce()
    let events = TenantEventsService(host: "127.0.0.1", port: TestEnvironment.redisPort, refresher: refresher, logger: logger)
    let server = try EdgeServer(configuration: configuration, registry: registry, logger: logger)
    let purges = PurgeEventsService(host: "127.0.0.1", port: TestEnvironment.redisPort, server: server, logger: logger)
    let listeners = try await server.start()
    let group = ServiceGroup(services: [refresher, events, purges], gracefulShutdownSignals: [], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        defer { tasks.cancelAll() }
        // Give the subscription a moment to be in place before the test publishes.
        try await Task.sleep(for: .milliseconds(200))
        do {
            let result = try await body(registry, listeners.ports)
            await group.triggerGracefulShutdown()
            await listeners.close()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            await listeners.close()
            throw error
        }
    }
}

public enum ServiceStartError: Error { case noPort }
