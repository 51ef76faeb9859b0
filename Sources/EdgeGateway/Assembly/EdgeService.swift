import EdgeCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS
import ServiceLifecycle
import Shared
import Synchronization

/// Runs an ``EdgeServer`` as a service: binds on start, closes the listeners on graceful shutdown.
public struct EdgeService: Service {
    let server: EdgeServer
    let drainTimeout: TimeAmount

    /// - Parameter drainTimeout: how long a graceful shutdown (SIGTERM) waits for requests in flight.
    public init(server: EdgeServer, drainTimeout: TimeAmount = .seconds(25)) {
        self.server = server
        self.drainTimeout = drainTimeout
    }

    public func run() async throws {
        let listeners = try await server.start()
        try? await gracefulShutdown()
        await listeners.drain(timeout: drainTimeout)
    }
}
