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

    /// A client's request fields less every field the edge owns and every override field the tenant does
    /// not allow-list (``ForwardingPolicy/forwards(_:allowList:)``), in one pass.
    /// - Parameter allowList: the tenant's ``TenantEdgeSettings/forwardRequestHeaders`` (lower-case).
    static func trustedRequestFields(_ headers: HTTPHeaders, allowList: [String]) -> HTTPHeaders {
        var kept = HTTPHeaders()
        // Room for the forwarding fields the edge adds.
        kept.reserveCapacity(headers.count + 8)
        for (name, value) in headers where ForwardingPolicy.forwards(name.lowercased(), allowList: allowList) {
            kept.add(name: name, value: value)
        }
        return kept
    }

    /// Sets the fields through which the edge alone tells the origin about the request: `Host` (the
    /// normalised storefront domain, no port), `X-Forwarded-Host`, `-Proto`, `-Port`, `-For`, `Forwarded`
    /// (RFC 7239) and the tenant. Run on ``trustedRequestFields(_:allowList:)``.
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

    /// An origin's response fields as the edge stores and relays them, over HTTP/1 and HTTP/2 alike: no
    /// hop-by-hop field (``removeHopByHop(_:)``), values without the optional whitespace HTTP/1 allows around
    /// them (not part of the value; HTTP/2 forbids it), and no field whose value holds CR, LF or NUL
    /// (``HTTP2Fields``). Cleaned once here, so no hit pays for it. A clean head is left untouched.
    /// - Returns: the names of fields dropped for their value, for the caller to log.
    static func cleanOriginResponse(_ headers: inout HTTPHeaders) -> [String] {
        removeHopByHop(&headers)
        guard !headers.allSatisfy({ HTTP2Fields.isClean(name: $0.name.utf8, value: $0.value.utf8) }) else { return [] }
        var cleaned = HTTPHeaders()
        cleaned.reserveCapacity(headers.count)
        var dropped: [String] = []
        for (name, value) in headers {
            if let trimmed = HTTP2Fields.trimmed(value.utf8) {
                cleaned.add(name: name, value: String(decoding: trimmed, as: UTF8.self))
            } else {
                dropped.append(name)
            }
        }
        headers = cleaned
        return dropped
    }

    /// Removes hop-by-hop fields, including any the `Connection` field names.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        let named = headers[canonicalForm: "connection"].map { $0.lowercased() }
        for name in hopByHop { headers.remove(name: name) }
        for name in named { headers.remove(name: String(name)) }
    }
}
