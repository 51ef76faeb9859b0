import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared

/// Tenants from the origins' internal listeners (`GET /internal/tenants` with the internal token).
public struct OriginTenantSource: TenantSource {
    public enum Failure: Error { case status(Int) }

    let client: HTTP1Client
    let endpoints: [HTTPEndpoint]
    let token: String
    let eventLoop: any EventLoop

    /// - Parameters:
    ///   - client: the HTTP client to use.
    ///   - endpoints: the origins' internal listeners, tried in order until one answers.
    ///   - token: the internal API token.
    ///   - eventLoop: where requests run.
    public init(client: HTTP1Client, endpoints: [HTTPEndpoint], token: String, eventLoop: any EventLoop) {
        self.client = client
        self.endpoints = endpoints
        self.token = token
        self.eventLoop = eventLoop
    }

    public func fetchTenants() async throws -> [TenantDirectoryEntry] {
        var lastError: any Error = Failure.status(0)
        for endpoint in endpoints {
            // At shutdown the refresh is cancelled: do not try the next origin (each may take its 5 s).
            try Task.checkCancellation()
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
