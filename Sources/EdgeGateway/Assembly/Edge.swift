import ServiceLifecycle
import Synchronization

/// An edge built by ``EdgeAssembly``: the server, its tenant registry and every service around it, ready to
/// run.
public struct Edge: Sendable {
    /// The ports the edge's listeners are bound to.
    public struct Ports: Sendable, Equatable {
        /// The HTTPS listener.
        public var https: Int
        /// The plain HTTP listener, if any.
        public var http: Int?
        /// The admin listener, if any.
        public var admin: Int?
    }

    /// The public listeners, cache and origin pool.
    public let server: EdgeServer
    /// The tenants and their certificates.
    public let registry: TenantRegistry
    let group: ServiceGroup

    /// Runs every service until a graceful shutdown (SIGTERM or SIGINT when the assembly handles signals, or
    /// ``triggerGracefulShutdown()``) has drained the listeners.
    public func run() async throws {
        try await group.run()
    }

    /// Starts a graceful shutdown: the listeners drain, then the services stop.
    public func triggerGracefulShutdown() async {
        await group.triggerGracefulShutdown()
    }
}

extension Edge.Ports {
    /// Collects the ports the listener services report, and hands them on once every listener is bound.
    final class Report: Sendable {
        private struct State {
            var ports = Edge.Ports(https: 0)
            var publicBound = false
            var adminBound: Bool
        }

        private let state: Mutex<State>
        private let onListening: @Sendable (Edge.Ports) async -> Void

        /// - Parameters:
        ///   - expectsAdmin: whether an admin listener will report too.
        ///   - onListening: called once, when every listener is bound.
        init(expectsAdmin: Bool, onListening: @escaping @Sendable (Edge.Ports) async -> Void) {
            state = Mutex(State(adminBound: !expectsAdmin))
            self.onListening = onListening
        }

        func publicListeners(_ ports: EdgeServer.BoundPorts) async {
            await complete { state in
                state.ports.https = ports.https
                state.ports.http = ports.http
                state.publicBound = true
            }
        }

        func adminListener(_ port: Int) async {
            await complete { state in
                state.ports.admin = port
                state.adminBound = true
            }
        }

        private func complete(_ change: (inout State) -> Void) async {
            let ready: Edge.Ports? = state.withLock { state in
                change(&state)
                return state.publicBound && state.adminBound ? state.ports : nil
            }
            if let ready { await onListening(ready) }
        }
    }
}
