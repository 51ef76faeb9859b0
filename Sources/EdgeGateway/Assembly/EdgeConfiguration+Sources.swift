import EdgeCore
import Foundation
import Shared

extension EdgeConfiguration {
    /// Where the edge learns which domains belong to which tenant.
    public enum Tenants: Sendable {
        /// The origins' internal listeners (`GET /internal/tenants`, tried in order until one answers),
        /// refreshed periodically and on tenant events. Never the storefront listeners: the platform routes
        /// are not served there.
        case origin([HTTPEndpoint])
        /// A JSON file `{"tenants":[{"domain","tenantId"}]}`, read again at every refresh.
        case file(String)
        /// A list that never changes by itself (tests change it through the registry).
        case fixed([TenantDirectoryEntry])
    }

    /// Sets the tenant source from `--tenants` (`origin`, or the path of a JSON file) and, for `origin`,
    /// `--origin-internal` (`host:port,…`: the origins' internal listeners).
    /// - Throws: ``EdgeConfigurationError`` when `origin` comes with no valid internal address.
    public mutating func setTenants(parsing text: String, originInternal: String) throws(EdgeConfigurationError) {
        guard text == "origin" else {
            tenants = .file(text)
            return
        }
        let endpoints = originInternal.split(separator: ",").compactMap {
            HTTPEndpoint(parsing: $0.trimmingCharacters(in: .whitespaces))
        }
        guard !endpoints.isEmpty else { throw .invalidOriginInternal(originInternal) }
        tenants = .origin(endpoints)
    }

    /// The admin listener: `/health`, `/metrics` and the purge API, on an address of its own.
    public struct AdminListener: Sendable {
        /// The address to bind (keep it private).
        public var bindHost = "127.0.0.1"
        /// The port (0 picks a free one).
        public var port = 9190
        /// The bearer token `POST /purge` needs.
        public var token = "dev-edge-admin-token"

        /// - Parameters:
        ///   - bindHost: the address to bind.
        ///   - port: the port (0 picks a free one).
        ///   - token: the purge API's bearer token.
        public init(bindHost: String = "127.0.0.1", port: Int = 9190, token: String = "dev-edge-admin-token") {
            self.bindHost = bindHost
            self.port = port
            self.token = token
        }
    }

    /// Sets the origins from the `--origins` syntax: `host:port,…`, `file:<path>` (host:port lines) or
    /// `dns:<name>:<port>` (every address of the name). A file or name is read when the edge is built.
    /// - Throws: ``EdgeConfigurationError`` when a `dns:` target has no port or no static origin is valid.
    public mutating func setOrigins(parsing text: String) throws(EdgeConfigurationError) {
        if text.hasPrefix("file:") {
            originDiscovery = .file(String(text.dropFirst(5)))
            origins = []
        } else if text.hasPrefix("dns:") {
            guard let target = HTTPEndpoint(parsing: text.dropFirst(4)) else { throw .invalidOrigins(text) }
            originDiscovery = .dns(host: target.host, port: target.port)
            origins = []
        } else {
            origins = text.split(separator: ",").compactMap { HTTPEndpoint(parsing: $0.trimmingCharacters(in: .whitespaces)) }
            originDiscovery = nil
            guard !origins.isEmpty else { throw .invalidOrigins(text) }
        }
    }

    /// Sets the event source from the `--redis` syntax: `host:port`, or `off`.
    public mutating func setRedis(parsing text: String) throws(EdgeConfigurationError) {
        guard text != "off" else {
            redis = nil
            return
        }
        guard let endpoint = HTTPEndpoint(parsing: text) else { throw .invalidRedis(text) }
        redis = endpoint
    }

    /// Sets the access log from the `--access-log` syntax: `stdout`, `off`, or a file path.
    public mutating func setAccessLog(parsing text: String) {
        accessLog = text == "off" ? nil : text == "stdout" ? .standardOutput : .file(text)
    }
}

/// A configuration the edge cannot start with.
public struct EdgeConfigurationError: Error, CustomStringConvertible {
    private enum Reason {
        case invalidOrigins(String)
        case invalidRedis(String)
        case invalidOriginInternal(String)
        case noDiscoveredOrigins(OriginDiscoveryService.Source)
    }

    private let reason: Reason

    static func invalidOrigins(_ text: String) -> Self { Self(reason: .invalidOrigins(text)) }
    static func invalidRedis(_ text: String) -> Self { Self(reason: .invalidRedis(text)) }
    static func invalidOriginInternal(_ text: String) -> Self { Self(reason: .invalidOriginInternal(text)) }
    static func noDiscoveredOrigins(_ source: OriginDiscoveryService.Source) -> Self { Self(reason: .noDiscoveredOrigins(source)) }

    public var description: String {
        switch reason {
        case .invalidOrigins(let text): "no valid origin in '\(text)'"
        case .invalidRedis(let text): "invalid --redis '\(text)'"
        case .invalidOriginInternal(let text): "no valid internal origin address in --origin-internal '\(text)'"
        case .noDiscoveredOrigins(.file(let path)): "no valid origin in 'file:\(path)'"
        case .noDiscoveredOrigins(.dns(let host, let port)): "no valid origin in 'dns:\(host):\(port)'"
        }
    }
}
