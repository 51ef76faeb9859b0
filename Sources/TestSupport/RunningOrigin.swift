import Foundation
import Hummingbird
import NIOCore
import Origin
import ServiceLifecycle

/// Runs an origin on a free loopback port for the duration of `body`, then shuts it down gracefully. The
/// origin is built by ``OriginAssembly``, as the `origin` executable builds it.
/// - Parameters:
///   - configuration: the origin's configuration; its port is replaced by a free one.
///   - body: receives the bound port.
public func withRunningOrigin<Result: Sendable>(
    configuration: OriginConfiguration = TestEnvironment.originConfiguration(),
    _ body: @Sendable (Int) async throws -> Result
) async throws -> Result {
    var configuration = configuration
    configuration.port = 0
    return try await withRunningServiceGroup(
        { onServerRunning in
            OriginAssembly.serviceGroup(
                configuration: configuration,
                logger: TestEnvironment.logger,
                handlesSignals: false,
                onServerRunning: onServerRunning
            )
        },
        body
    )
}

/// Runs a Hummingbird application (a test router, say) on the port its configuration names (0: a free one)
/// for the duration of `body`.
/// - Parameters:
///   - router: the routes.
///   - body: receives the bound port.
public func withRunningApplication<Context: RequestContext, Result: Sendable>(
    router: Router<Context>,
    _ body: @Sendable (Int) async throws -> Result
) async throws -> Result where Context.Source == ApplicationRequestContextSource {
    try await withRunningServiceGroup(
        { onServerRunning in
            let application = Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                onServerRunning: onServerRunning,
                logger: TestEnvironment.logger
            )
            return ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: TestEnvironment.logger)
        },
        body
    )
}

/// Runs the service group `make` builds until `body` returns, then shuts it down gracefully.
/// - Parameters:
///   - make: builds the group, given the callback its HTTP listener calls once bound.
///   - body: receives the bound port.
func withRunningServiceGroup<Result: Sendable>(
    _ make: (@escaping @Sendable (any Channel) async -> Void) -> ServiceGroup,
    _ body: @Sendable (Int) async throws -> Result
) async throws -> Result {
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let group = make { channel in
        portContinuation.yield(channel.localAddress?.port ?? 0)
        portContinuation.finish()
    }
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        defer { tasks.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ServiceStartError.noPort }
        do {
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.next()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
    }
}

/// Gives `spec` its first admin through the platform API of the origin on `port`, waits until the replica has
/// it, and returns the HTTP Basic `Authorization` value for that admin.
public func tenantAdminLogin(_ spec: Seeder.TenantSpec, db: TestDatabase, originPort port: Int) async throws -> String {
    let password = "a long enough password"
    let initialised = try await PlainHTTP.send(
        .POST,
        "/admin/tenants/\(spec.id.rawValue)/init",
        host: "origin.internal",
        port: port,
        headers: [("authorization", "Bearer test-admin-token")],
        body: #"{"email":"owner@\#(spec.domain.rawValue)","password":"\#(password)"}"#
    )
    guard initialised.head.status == .created else { throw TenantAdminError.notCreated(initialised.head.status.code) }
    try await db.waitForReplica()
    return "Basic " + Data("owner@\(spec.domain.rawValue):\(password)".utf8).base64EncodedString()
}

public enum TenantAdminError: Error { case notCreated(UInt) }
