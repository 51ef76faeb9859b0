import Logging
import NIOCore
import ServiceLifecycle

/// Runs the admin listener (``EdgeAdminServer``) as a service: binds on start, closes on graceful shutdown.
/// Placed before ``EdgeService`` in the group, it stays up (`/health`, `/metrics`) while the edge drains.
public struct EdgeAdminService: Service {
    let listener: EdgeConfiguration.AdminListener
    let server: EdgeServer
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - listener: address, port and purge token.
    ///   - server: the edge whose metrics are served and whose cache is purged.
    ///   - logger: the edge's logger.
    ///   - onListening: called with the bound port.
    public init(
        listener: EdgeConfiguration.AdminListener,
        server: EdgeServer,
        logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.listener = listener
        self.server = server
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let channel = try await EdgeAdminServer.start(
            host: listener.bindHost,
            port: listener.port,
            token: listener.token,
            server: server,
            logger: logger
        )
        let port = channel.localAddress?.port ?? listener.port
        logger.info("edge admin listening", metadata: ["address": "\(listener.bindHost):\(port)"])
        await onListening(port)
        try? await gracefulShutdown()
        try? await channel.close()
    }
}
