import Shared

/// Phase 3 and phase 9 of the edge pipeline: may a request use the cache, and may a response be stored.
///
/// RFC 9111 rules for a shared cache: only GET and HEAD are looked up; a request with credentials
/// (`Authorization`, a cookie off the tenant's allow-list) passes; a response is stored with explicit
/// freshness (`s-maxage` > `max-age` > `Expires`), or a heuristic one only where the tenant configured it,
/// and never with `no-store`, `private`, `Set-Cookie` or `Vary: *`; `no-cache` only with a validator, to be
/// revalidated before every use.
public enum CachePolicy {
    /// What to do with a request.
    public enum RequestDecision: Equatable, Sendable {
        /// Look the request up under this key; HEAD shares GET's entry.
        case lookup(CacheKey)
        /// Forward without touching the cache.
        case pass(reason: PassReason)
    }

    /// Why a request bypasses the cache.
    public enum PassReason: String, Equatable, Sendable {
        case method
        case credentials
    }

    /// What to do with an origin response.
    public enum ResponseDecision: Equatable, Sendable {
        /// Store it, fresh for `ttlSeconds` from now.
        case store(ttlSeconds: Int)
        /// Do not store it.
        case uncacheable(reason: String)
    }

    /// Status codes that are cacheable by default (RFC 9110 §15.1), the others never are.
    static let cacheableStatuses: Set<Int> = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]

    /// Whether a request carries credentials that make its answer private: any `Authorization`, or a
    /// cookie whose name is not on the tenant's allow-list.
    /// - Parameters:
    ///   - hasAuthorization: whether the request has `Authorization`.
    ///   - cookieHeaders: its `Cookie` field values.
    ///   - allowList: cookie names that do not make a request private.
    public static func hasCredentials(hasAuthorization: Bool, cookieHeaders: [String], allowList: [String]) -> Bool {
        if hasAuthorization { return true }
        for header in cookieHeaders {
            for pair in header.split(separator: ";") {
                let name = pair.prefix(while: { $0 != "=" }).drop(while: { $0 == " " })
                if !name.isEmpty, !allowList.contains(where: { $0 == name }) { return true }
            }
        }
        return false
    }

    /// Classifies a request.
    /// - Parameters:
    ///   - tenant: the resolved tenant; the key lives in its namespace.
    ///   - method: the request method, as sent.
    ///   - target: the request target (path and query).
    ///   - hasCredentials: whether the request carries `Authorization` or `Cookie`.
    public static func classify(
        tenant: TenantID,
        method: String,
        target: String,
        hasCredentials: Bool
    ) -> RequestDecision {
        guard method == "GET" || method == "HEAD" else { return .pass(reason: .method) }
        guard !hasCredentials else { return .pass(reason: .credentials) }
        return .lookup(CacheKey(tenant: tenant, resource: "http", id: "GET \(target)"))
    }

    /// The heuristic freshness lifetime (RFC 9111 §4.2.2) a tenant's settings give a response without
    /// explicit freshness; `nil` when the tenant has none configured or it comes to zero.
    /// - Parameters:
    ///   - settings: the tenant's heuristic settings.
    ///   - lastModifiedAge: `Date` minus `Last-Modified` in seconds, when the response has a parsable
    ///     `Last-Modified`.
    public static func heuristicLifetime(_ settings: HeuristicFreshness?, lastModifiedAge: Int?) -> Int? {
        guard let settings else { return nil }
        let lifetime: Int
        if let lastModifiedAge {
            lifetime = Int(Double(max(0, lastModifiedAge)) * settings.lastModifiedFraction)
        } else {
            lifetime = settings.defaultSeconds
        }
        let bounded = min(lifetime, settings.maximumSeconds)
        return bounded > 0 ? bounded : nil
    }

    /// How long a stored response may be served stale (RFC 5861), in seconds past its freshness.
    ///
    /// `must-revalidate` and `proxy-revalidate` forbid serving stale at all (RFC 9111 §5.2.2.2, §5.2.2.8).
    /// The response's own `stale-if-error` wins; without one, the tenant's grace applies (its
    /// ``TenantEdgeSettings/staleIfErrorSeconds``, so that an origin outage does not take pages down once
    /// their freshness runs out), except for `no-cache`, which asks for every use to be validated. The
    /// grace is the tenant's own policy for its own origin, so the `proxy-revalidate` that `s-maxage`
    /// implies for a shared cache (RFC 9111 §5.2.2.10) does not cancel it; an explicit directive does.
    /// - Parameters:
    ///   - cacheControl: the response's `Cache-Control`.
    ///   - graceIfError: the tenant's default stale-if-error window in seconds (0: none).
    public static func staleWindows(_ cacheControl: CacheControl, graceIfError: Int = 0) -> (whileRevalidating: Int, ifError: Int) {
        if cacheControl.mustRevalidate || cacheControl.proxyRevalidate { return (0, 0) }
        let grace = cacheControl.noCache ? 0 : max(0, graceIfError)
        return (cacheControl.staleWhileRevalidate ?? 0, cacheControl.staleIfError ?? grace)
    }

    /// Classifies an origin response to a cacheable request.
    /// - Parameters:
    ///   - status: the response status code.
    ///   - cacheControl: the parsed `Cache-Control` fields.
    ///   - ageSeconds: the response's `Age`, if it had one.
    ///   - hasSetCookie: whether it sets a cookie.
    ///   - expires: the `Expires` lifetime (`Expires` minus `Date`, in seconds) when the response has one;
    ///     used only without `s-maxage`/`max-age`; an unparsable `Expires` is passed as 0 (expired).
    ///   - hasValidator: whether it has `ETag` or `Last-Modified` (a `no-cache` response with one is stored,
    ///     to be revalidated before every use).
    ///   - hasVary: whether it has `Vary: *` (varies on something no request header describes: never stored;
    ///     other `Vary` fields are stored as variants, see ``VaryIndex``).
    ///   - heuristicLifetime: the tenant's heuristic lifetime for this response (``heuristicLifetime(_:lastModifiedAge:)``),
    ///     used only without any explicit freshness.
    public static func classify(
        status: Int,
        cacheControl: CacheControl,
        ageSeconds: Int,
        hasSetCookie: Bool,
        hasVary: Bool,
        expires: Int? = nil,
        hasValidator: Bool = false,
        heuristicLifetime: Int? = nil
    ) -> ResponseDecision {
        guard cacheableStatuses.contains(status) else { return .uncacheable(reason: "status") }
        if cacheControl.noStore { return .uncacheable(reason: "no-store") }
        if cacheControl.isPrivate { return .uncacheable(reason: "private") }
        if hasSetCookie { return .uncacheable(reason: "set-cookie") }
        if hasVary { return .uncacheable(reason: "vary *") }
        if cacheControl.noCache {
            // RFC 9111 §5.2.2.4: may be stored, never used without revalidation.
            return hasValidator ? .store(ttlSeconds: 0) : .uncacheable(reason: "no-cache")
        }
        guard let lifetime = cacheControl.sharedMaxAge ?? cacheControl.maxAge ?? expires ?? heuristicLifetime else {
            return .uncacheable(reason: "no explicit freshness")
        }
        let remaining = lifetime - max(0, ageSeconds)
        guard remaining > 0 else { return .uncacheable(reason: "already stale") }
        return .store(ttlSeconds: remaining)
    }
}
