import EdgeCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Why no origin answered.
enum OriginPoolError: Error, Equatable {
    /// Every origin is unhealthy, ejected or already tried.
    case noUsableOrigin
}

/// The origin instances of a deployment: least-outstanding balancing over the healthy ones, changeable at
/// runtime (``update(_:)``) without dropping requests in flight.
public final class OriginPool: Sendable {
    private let balancer: Mutex<OriginBalancer<HTTPEndpoint>>
    private let clock: any EdgeClock

    /// - Parameters:
    ///   - endpoints: the members.
    ///   - policy: ejection and health thresholds.
    ///   - clock: the time ejections are measured in.
    public init(
        endpoints: [HTTPEndpoint],
        policy: OriginBalancer<HTTPEndpoint>.Policy = .init(),
        clock: any EdgeClock = SystemEdgeClock()
    ) {
        balancer = Mutex(OriginBalancer(endpoints: endpoints, policy: policy))
        self.clock = clock
    }

    /// Replaces the member list (discovery, config reload); requests in flight to removed members finish.
    public func update(_ endpoints: [HTTPEndpoint]) {
        balancer.withLock { $0.update(endpoints) }
    }

    /// The members now.
    public var endpoints: [HTTPEndpoint] { balancer.withLock { $0.members.map(\.endpoint) } }

    /// Every member's state, for metrics.
    public var members: [OriginBalancer<HTTPEndpoint>.Member] { balancer.withLock { $0.members } }

    func acquire(excluding: Set<HTTPEndpoint>) -> HTTPEndpoint? {
        let now = clock.nanoseconds
        return balancer.withLock { $0.acquire(now: now, excluding: excluding) }
    }

    func release(_ endpoint: HTTPEndpoint, outcome: OriginBalancer<HTTPEndpoint>.Outcome) {
        let now = clock.nanoseconds
        balancer.withLock { $0.release(endpoint, outcome: outcome, now: now) }
    }

    /// Whether an origin's answer with `status` counts towards ejecting it (``OriginBalancer/Policy/ejectOnStatuses``).
    func countsAsFailure(status: Int) -> Bool {
        balancer.withLock { $0.countsAsFailure(status: status) }
    }

    func probed(_ endpoint: HTTPEndpoint, healthy: Bool) {
        balancer.withLock { $0.probed(endpoint, healthy: healthy) }
    }
}
