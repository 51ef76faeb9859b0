import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared

/// Where the edge learns which domains belong to which tenant.
public protocol TenantSource: Sendable {
    /// Every storefront, as of now.
    func fetchTenants() async throws -> [TenantDirectoryEntry]
}

/// The wire format of a tenant list: the origin's `GET /internal/tenants` and a static tenant file.
public struct TenantList: Codable, Sendable {
    public var tenants: [TenantDirectoryEntry]

    public init(tenants: [TenantDirectoryEntry]) { self.tenants = tenants }
}

/// Tenants listed in a JSON file (`{"tenants": [{"domain": "…", "tenantId": "…"}]}`), so the edge can front any
/// HTTP origin. The file is read again on every refresh.
public struct StaticFileTenantSource: TenantSource {
    public let path: String

    public init(path: String) { self.path = path }

    public func fetchTenants() async throws -> [TenantDirectoryEntry] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(TenantList.self, from: data).tenants
    }
}

/// Tenants from the origin's internal API (`GET /internal/tenants` with the internal token).
public struct OriginTenantSource: TenantSource {
    public enum Failure: Error { case status(Int) }

    let client: HTTP1Client
    let currentEndpoints: @Sendable () -> [HTTPEndpoint]
    let token: String
    let eventLoop: any EventLoop

    /// - Parameters:
    ///   - client: the HTTP client to use.
    ///   - endpoints: origin instances, tried in order until one answers.
    ///   - token: the internal API token.
    ///   - eventLoop: where requests run.
    public init(client: HTTP1Client, endpoints: [HTTPEndpoint], token: String, eventLoop: any EventLoop) {
        self.init(client: client, pool: { endpoints }, token: token, eventLoop: eventLoop)
    }

    /// - Parameter pool: the origin instances as they are at each fetch (the live origin pool).
    public init(client: HTTP1Client, pool: @escaping @Sendable () -> [HTTPEndpoint], token: String, eventLoop: any EventLoop) {
        self.client = client
        self.currentEndpoints = pool
        self.token = token
        self.eventLoop = eventLoop
    }

    public func fetchTenants() async throws -> [TenantDirectoryEntry] {
        var lastError: any Error = Failure.status(0)
        for endpoint in currentEndpoints() {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/internal/tenants")
            head.headers.add(name: "host", value: endpoint.host)
            head.headers.add(name: StorefrontHeader.internalToken, value: token)
            do {
                let response = try await client.execute(
                    head,
                    to: endpoint,
                    on: eventLoop,
                    deadline: .now() + .seconds(5)
                ).get()
                guard response.head.status == .ok else { throw Failure.status(Int(response.head.status.code)) }
                return try JSONDecoder().decode(TenantList.self, from: Data(response.body.readableBytesView)).tenants
            } catch {
                lastError = error
            }
        }
        throw lastError
    }
}

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
