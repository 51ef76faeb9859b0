import Foundation
import Hummingbird
import NIOCore
import Origin
import ServiceLifecycle
import Synchronization

/// Runs an origin on a free loopback port for the duration of `body`, then shuts it down gracefully. The
/// origin is built by ``OriginAssembly``, as the `origin` executable builds it.
/// - Parameters:
///   - configuration: the origin's configuration; its ports are replaced by free ones.
///   - body: receives the storefront listener's port.
public func withRunningOrigin<Result: Sendable>(
    configuration: OriginConfiguration = TestEnvironment.originConfiguration(),
    _ body: @Sendable (Int) async throws -> Result
) async throws -> Result {
    try await withRunningOriginListeners(configuration: configuration) { try await body($0.storefront) }
}

/// An origin's two listeners: the storefront one (what edges forward) and the internal one (tenant list,
/// platform routes, metrics).
public struct OriginListeners: Sendable {
    public var storefront: Int
    public var `internal`: Int
}

/// Runs an origin like ``withRunningOrigin(configuration:_:)``, for tests that use its internal listener too.
public func withRunningOriginListeners<Result: Sendable>(
    configuration: OriginConfiguration = TestEnvironment.originConfiguration(),
    _ body: @Sendable (OriginListeners) async throws -> Result
) async throws -> Result {
    var configuration = configuration
    configuration.port = 0
    configuration.adminPort = 0
    return try await withRunningServiceGroup(listeners: 2) { onRunning in
        OriginAssembly.serviceGroup(
            configuration: configuration,
            logger: TestEnvironment.logger,
            handlesSignals: false,
            cancellationLimit: nil,
            onServerRunning: onRunning[0],
            onInternalServerRunning: onRunning[1]
        )
    } _: { ports in
        try await body(OriginListeners(storefront: ports[0], internal: ports[1]))
    }
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
    try await withRunningServiceGroup(listeners: 1) { onRunning in
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: onRunning[0],
            logger: TestEnvironment.logger
        )
        return ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: TestEnvironment.logger)
    } _: { ports in
        try await body(ports[0])
    }
}

/// Runs the service group `make` builds until `body` returns, then shuts it down gracefully.
///
/// The shutdown is waited for at most ``serviceGroupStopLimit``; a group still running then is left behind
/// with a line on standard error, not trapped on: an in-process origin whose database connection a fault test
/// hung has been seen to take longer, and ServiceLifecycle's trap would end every other test of the run with
/// it. That the `origin` process itself always exits within its drain time, hung dependencies or not, is
/// `OriginShutdownTests`'s to show (``DrainWatchdog``).
/// - Parameters:
///   - listeners: how many HTTP listeners the group binds.
///   - make: builds the group, given the callbacks its listeners call once bound (one per listener).
///   - body: receives the bound ports, in the order of the callbacks.
func withRunningServiceGroup<Result: Sendable>(
    listeners: Int,
    _ make: ([@Sendable (any Channel) async -> Void]) -> ServiceGroup,
    _ body: @Sendable ([Int]) async throws -> Result
) async throws -> Result {
    let (bound, continuation) = AsyncStream.makeStream(of: (Int, Int).self)
    let group = make(
        (0..<listeners).map { index in
            { channel in continuation.yield((index, channel.localAddress?.port ?? 0)) }
        }
    )
    let running = Task {
        defer { continuation.finish() }
        try await group.run()
    }
    var ports = [Int?](repeating: nil, count: listeners)
    for await (index, port) in bound {
        ports[index] = port
        if !ports.contains(nil) { break }
    }
    do {
        guard !ports.contains(nil) else {
            try await running.value
            throw ServiceStartError.noPort
        }
        let result = try await body(ports.map { $0! })
        await stop(group, running)
        return result
    } catch {
        await stop(group, running)
        throw error
    }
}

/// How long a test's service group may take to stop before it is left behind.
let serviceGroupStopLimit: Duration = .seconds(40)

private func stop(_ group: ServiceGroup, _ running: Task<Void, any Error>) async {
    await group.triggerGracefulShutdown()
    // Whichever comes first, the group's end or the limit, resumes the wait (once); a group that does not
    // stop is not awaited further.
    let stopped = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        let resumed = Mutex(false)
        let finish: @Sendable (Bool) -> Void = { value in
            if resumed.withLock({ wasResumed in
                defer { wasResumed = true }
                return !wasResumed
            }) {
                continuation.resume(returning: value)
            }
        }
        Task {
            _ = try? await running.value
            finish(true)
        }
        Task {
            try? await Task.sleep(for: serviceGroupStopLimit)
            finish(false)
        }
    }
    if !stopped {
        FileHandle.standardError.write(Data("warning: a test's service group did not stop within \(serviceGroupStopLimit); left running\n".utf8))
    }
}

/// Gives `spec` its first admin through the platform API on the origin's internal listener (`internalPort`),
/// waits until the replica has it, and returns the HTTP Basic `Authorization` value for that admin.
public func tenantAdminLogin(_ spec: Seeder.TenantSpec, db: TestDatabase, internalPort port: Int) async throws -> String {
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
