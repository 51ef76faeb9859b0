import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared

/// Keeps the ``TenantRegistry`` in step with a ``TenantSource``: a full refresh at a fixed interval.
public struct TenantRefreshService: Service {
    let source: any TenantSource
    let registry: TenantRegistry
    let interval: Duration
    let logger: Logger

    public init(source: any TenantSource, registry: TenantRegistry, interval: Duration, logger: Logger) {
        self.source = source
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    /// Loads the tenants once; returns whether it worked.
    @discardableResult
    public func refreshOnce() async -> Bool {
        do {
            registry.update(try await source.fetchTenants())
            return true
        } catch {
            logger.warning("tenant refresh failed; keeping the previous directory", metadata: ["error": "\(error)"])
            return false
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                await refreshOnce()
            }
        }
    }
}
