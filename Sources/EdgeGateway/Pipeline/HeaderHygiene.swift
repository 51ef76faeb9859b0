import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// Header handling shared by the request and response paths.
enum HeaderHygiene {
    /// Hop-by-hop fields (RFC 9110 §7.6.1) never forwarded in either direction.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// Removes from a client's request every field the edge owns and every override field
    /// (``ForwardingPolicy``) the tenant does not allow-list.
    /// - Parameter allowList: the tenant's ``TenantEdgeSettings/forwardRequestHeaders`` (lower-case).
    static func removeUntrusted(_ headers: inout HTTPHeaders, allowList: [String]) {
        for name in ForwardingPolicy.edgeOwned { headers.remove(name: name) }
        for name in ForwardingPolicy.overrides where !allowList.contains(name) { headers.remove(name: name) }
    }

    /// Sets the fields through which the edge alone tells the origin about the request: `Host` (the
    /// normalised storefront domain, no port), `X-Forwarded-Host`, `-Proto`, `-Port`, `-For`, `Forwarded`
    /// (RFC 7239) and the tenant. Run after ``removeUntrusted(_:allowList:)``.
    /// - Parameters:
    ///   - host: the normalised storefront domain.
    ///   - clientAddress: the TCP peer's address.
    ///   - port: the port clients reached the storefront on; `nil`: no `X-Forwarded-Port`.
    ///   - tenant: the resolved tenant.
    static func setForwarding(_ headers: inout HTTPHeaders, host: String, clientAddress: String, port: Int?, tenant: TenantID) {
        headers.add(name: "host", value: host)
        headers.add(name: "x-forwarded-for", value: clientAddress)
        headers.add(name: "x-forwarded-proto", value: "https")
        headers.add(name: "x-forwarded-host", value: host)
        if let port { headers.add(name: "x-forwarded-port", value: String(port)) }
        headers.add(name: "forwarded", value: ForwardingPolicy.forwardedValue(clientAddress: clientAddress, host: host, proto: "https"))
        headers.add(name: StorefrontHeader.tenant, value: tenant.rawValue)
    }

    /// Response fields meant for the edge only.
    static let internalResponseFields: Set<String> = ["x-storefront-tenant", "surrogate-key"]

    /// Removes hop-by-hop fields, including any the `Connection` field names.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        let named = headers[canonicalForm: "connection"].map { $0.lowercased() }
        for name in hopByHop { headers.remove(name: name) }
        for name in named { headers.remove(name: String(name)) }
    }
}
