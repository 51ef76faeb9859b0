import EdgeCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Active health checks: `GET <path>` on every origin at an interval; failed probes take an origin out of
/// rotation until one succeeds.
public struct OriginHealthService: Service {
    let pool: OriginPool
    let client: HTTP1Client
    let eventLoop: any EventLoop
    let path: String
    let interval: Duration
    let timeout: TimeAmount
    let logger: Logger

    public init(
        pool: OriginPool,
        client: HTTP1Client,
        eventLoop: any EventLoop,
        path: String = "/health",
        interval: Duration = .seconds(2),
        timeout: TimeAmount = .seconds(1),
        logger: Logger
    ) {
        self.pool = pool
        self.client = client
        self.eventLoop = eventLoop
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
    }

    /// Probes every origin once.
    public func probeAll() async {
        await withTaskGroup(of: Void.self) { group in
            for endpoint in pool.endpoints {
                group.addTask {
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                    head.headers.add(name: "host", value: endpoint.host)
                    let healthy: Bool
                    do {
                        let response = try await client.execute(head, to: endpoint, on: eventLoop, deadline: .now() + timeout).get()
                        healthy = response.head.status == .ok
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
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
