/// What the origin learns about a request: the edge alone decides it.
///
/// A trusting origin framework builds links, redirects and routes from request fields that name the host,
/// scheme, port, method or URL (`X-Forwarded-Host`, `X-Host`, `X-Forwarded-Scheme`,
/// `X-HTTP-Method-Override`, `X-Original-URL`, …). None of them is in the cache key, so a client that sets
/// one makes the origin produce a page the edge stores for everyone (web cache poisoning). The edge
/// therefore sets `Host`, `X-Forwarded-For/-Proto/-Host/-Port`, `Forwarded` and the tenant field itself,
/// and removes every ``overrides`` field a client sends, unless the tenant allow-lists it
/// (``TenantEdgeSettings/forwardRequestHeaders``); a request carrying an allow-listed one passes the cache
/// (``passesCache(allowList:has:)``), so no stored answer is ever built from it.
///
/// The lists follow what Varnish, nginx and Cloudflare overwrite or strip and the fields the web cache
/// poisoning literature (PortSwigger's "Practical Web Cache Poisoning", Param Miner's header list) found
/// frameworks honouring. All names are lower-case.
public enum ForwardingPolicy {
    /// Fields the edge sets itself on every origin request; a client's values are always removed and no
    /// tenant can allow-list them.
    public static let edgeOwned: Set<String> = [
        "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "forwarded",
        "x-storefront-tenant", "x-storefront-rate-exempt",
    ]

    /// Fields frameworks honour as overrides of host, scheme, port, method, URL or client address: removed
    /// from client requests unless the tenant allow-lists them.
    public static let overrides: Set<String> = [
        // Host
        "x-host", "x-forwarded-server", "x-original-host", "x-backend-host",
        // Scheme and port
        "x-forwarded-scheme", "x-forwarded-ssl", "front-end-https", "x-url-scheme", "x-forwarded-protocol",
        // Method
        "x-http-method", "x-http-method-override", "x-method-override",
        // URL and path
        "x-original-url", "x-rewrite-url", "x-forwarded-prefix", "x-forwarded-uri", "x-forwarded-path",
        "x-original-uri",
        // Client address (what rate limits, logs and geo decisions read)
        "x-real-ip", "x-proxyuser-ip", "x-client-ip", "true-client-ip", "x-cluster-client-ip", "client-ip",
        "cf-connecting-ip", "fastly-client-ip", "x-originating-ip", "x-remote-ip", "x-remote-addr", "x-forwarded",
        "forwarded-for",
    ]

    /// Whether a client's field goes to the origin as sent.
    /// - Parameters:
    ///   - lowercasedName: the field name, lower-case.
    ///   - allowList: the tenant's allow-listed override fields, lower-case.
    public static func forwards(_ lowercasedName: String, allowList: [String]) -> Bool {
        if edgeOwned.contains(lowercasedName) { return false }
        return !overrides.contains(lowercasedName) || allowList.contains(lowercasedName)
    }

    /// Whether a request must pass the cache because it carries an override field the tenant allow-lists
    /// (the origin reads it, and it is not in the key). The safe choice over keying on it: no answer built
    /// from a client's override is ever stored, whatever the origin does with it.
    /// - Parameters:
    ///   - allowList: the tenant's allow-listed fields, lower-case (usually empty: no work then).
    ///   - has: whether the request has a field, by lower-case name.
    public static func passesCache(allowList: [String], has: (String) -> Bool) -> Bool {
        for name in allowList where overrides.contains(name) && has(name) { return true }
        return false
    }

    /// The RFC 7239 `Forwarded` value the edge sends: `for=<client>;host=<host>;proto=<scheme>`.
    ///
    /// An IPv6 address is quoted in brackets (`for="[2001:db8::1]"`); an address that is not a plain IP
    /// literal becomes `unknown`, so nothing a client controls is ever spliced into the field.
    /// - Parameters:
    ///   - clientAddress: the TCP peer's address.
    ///   - host: the normalised storefront domain.
    ///   - proto: `https` or `http`.
    public static func forwardedValue(clientAddress: String, host: String, proto: String) -> String {
        "for=\(forwardedNode(clientAddress));host=\(host);proto=\(proto)"
    }

    /// A `Forwarded` node (RFC 7239 §6): an IPv4 literal as is, IPv6 quoted in brackets, else `unknown`.
    static func forwardedNode(_ address: String) -> String {
        let bytes = address.utf8
        guard !bytes.isEmpty, bytes.count <= 45 else { return "unknown" }
        let isHex: (UInt8) -> Bool = {
            ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
                || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F"))
        }
        if bytes.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }) {
            return address
        }
        if bytes.contains(UInt8(ascii: ":")), bytes.allSatisfy({ isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) {
            return "\"[\(address)]\""
        }
        return "unknown"
    }
}
