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

    /// Request fields a client must not set for the origin: the edge owns them.
    static let untrustedRequestFields: Set<String> = [
        "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "forwarded", "x-real-ip",
        "x-original-url", "x-rewrite-url", "x-storefront-tenant",
    ]

    /// Response fields meant for the edge only.
    static let internalResponseFields: Set<String> = ["x-storefront-tenant", "surrogate-key"]

    /// Removes hop-by-hop fields, including any the `Connection` field names.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        let named = headers[canonicalForm: "connection"].map { $0.lowercased() }
        for name in hopByHop { headers.remove(name: name) }
        for name in named { headers.remove(name: String(name)) }
    }
}
