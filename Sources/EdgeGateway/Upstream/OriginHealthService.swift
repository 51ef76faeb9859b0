import EdgeCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Active health checks: `GET <path>` on every origin at an interval; failed probes take an origin out of
/// rotation until one succeeds (panic mode in ``OriginBalancer`` keeps the last origins in use regardless).
public struct OriginHealthService: Service {
    /// What a probe asks and what counts as healthy.
    public struct Check: Sendable {
        /// The path probed.
        public var path = "/health"
        /// How often every origin is probed.
        public var interval: Duration = .seconds(2)
        /// How long a probe may take.
        public var timeout: TimeAmount = .seconds(1)
        /// The status a healthy origin answers.
        public var expectedStatus = 200
        /// The `Host` sent; `nil` sends the origin's own address (an origin that routes by Host may want a
        /// storefront's domain here).
        public var host: String?

        public init() {}
    }

    let pool: OriginPool
    let client: HTTP1Client
    let eventLoop: any EventLoop
    let check: Check
    let logger: Logger

    public init(pool: OriginPool, client: HTTP1Client, eventLoop: any EventLoop, check: Check = Check(), logger: Logger) {
        self.pool = pool
        self.client = client
        self.eventLoop = eventLoop
        self.check = check
        self.logger = logger
    }

    /// Probes every origin once.
    public func probeAll() async {
        await withTaskGroup(of: Void.self) { group in
            for endpoint in pool.endpoints {
                group.addTask {
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: check.path)
                    head.headers.add(name: "host", value: check.host ?? endpoint.host)
                    let healthy: Bool
                    do {
                        let response = try await client.execute(head, to: endpoint, on: eventLoop, deadline: .now() + check.timeout).get()
                        healthy = Int(response.head.status.code) == check.expectedStatus
                    } catch {
                        healthy = false
                    }
                    let before = pool.members.first { $0.endpoint == endpoint }?.healthy
                    pool.probed(endpoint, healthy: healthy)
                    let after = pool.members.first { $0.endpoint == endpoint }?.healthy
                    if let before, let after, before != after {
                        logger.warning(after ? "origin healthy again" : "origin unhealthy", metadata: ["origin": "\(endpoint)"])
                    }
                }
            }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probeAll()
                do { try await Task.sleep(for: check.interval) } catch { return }
            }
        }
    }
}
