import Shared

/// Phase 2 of the edge pipeline: which tenant a request on a TLS connection belongs to.
///
/// The TLS handshake already chose a tenant from SNI (an unknown SNI never gets a certificate). The `Host`
/// header must name the same tenant: an unknown host, or a host of another tenant, is answered `421
/// Misdirected Request` (RFC 9110 §15.5.20) and never reaches an origin. There is no default tenant.
public struct TenantResolver: Sendable {
    /// The outcome of resolving one request.
    public enum Resolution: Equatable, Sendable {
        /// The request belongs to this tenant; `host` is its normalised Host.
        case tenant(TenantID, host: HostName)
        /// No usable Host (missing, duplicated or malformed): 400.
        case badRequest(reason: String)
        /// The Host names no storefront, or another tenant than the connection's: 421.
        case misdirected
    }

    public let snapshot: TenantDirectorySnapshot

    /// - Parameter snapshot: the tenant directory to resolve against.
    public init(snapshot: TenantDirectorySnapshot) {
        self.snapshot = snapshot
    }

    /// Resolves a request.
    /// - Parameters:
    ///   - connectionTenant: the tenant chosen by SNI for a TLS connection; `nil` on a plain HTTP listener.
    ///   - hostValues: every `Host` header value of the request (HTTP/2 `:authority` counts as one).
    public func resolve(connectionTenant: TenantID?, hostValues: some Collection<String>) -> Resolution {
        guard hostValues.count == 1, let raw = hostValues.first else {
            return .badRequest(reason: hostValues.isEmpty ? "missing Host header" : "more than one Host header")
        }
        guard let host = HostName(normalising: raw) else { return .badRequest(reason: "malformed Host header") }
        guard let tenant = snapshot.tenant(for: host) else { return .misdirected }
        if let connectionTenant, connectionTenant != tenant { return .misdirected }
        return .tenant(tenant, host: host)
    }
}
