import EdgeCore
import Logging
import NIOCore
import Synchronization

/// The long-lived parts every request handler shares: tenants, cache, origin client, configuration.
final class EdgeRuntime: Sendable {
    let configuration: EdgeConfiguration
    let registry: TenantRegistry
    let cache: CacheStore<CachedResponse>
    let client: HTTP1Client
    let logger: Logger
    private let nextOrigin = Atomic<Int>(0)

    init(configuration: EdgeConfiguration, registry: TenantRegistry, client: HTTP1Client, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.cache = CacheStore(byteBudget: configuration.cacheByteBudget)
        self.client = client
        self.logger = logger
    }

    /// The next origin in round-robin order (least-outstanding balancing comes with the origin pool work).
    func selectOrigin() -> HTTPEndpoint? {
        let origins = configuration.origins
        guard !origins.isEmpty else { return nil }
        let index = nextOrigin.wrappingAdd(1, ordering: .relaxed).oldValue
        return origins[(index % origins.count + origins.count) % origins.count]
    }

    /// Monotonic now, in nanoseconds.
    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
