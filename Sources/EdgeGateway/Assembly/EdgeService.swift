import NIOCore
import ServiceLifecycle

/// Runs an ``EdgeServer`` as a service: binds on start, drains the listeners on graceful shutdown.
public struct EdgeService: Service {
    let server: EdgeServer
    let drainTimeout: TimeAmount
    let onListening: @Sendable (EdgeServer.BoundPorts) async -> Void

    /// - Parameters:
    ///   - drainTimeout: how long a graceful shutdown (SIGTERM) waits for requests in flight.
    ///   - onListening: called with the bound ports once the listeners accept connections.
    public init(
        server: EdgeServer,
        drainTimeout: TimeAmount = .seconds(25),
        onListening: @escaping @Sendable (EdgeServer.BoundPorts) async -> Void = { _ in }
    ) {
        self.server = server
        self.drainTimeout = drainTimeout
        self.onListening = onListening
    }

    public func run() async throws {
        let listeners = try await server.start()
        await onListening(listeners.ports)
        try? await gracefulShutdown()
        await listeners.drain(timeout: drainTimeout)
    }
}
