import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// Phase 2's answer: whose request this is.
enum TenantDecision {
    /// The request belongs to this tenant.
    case tenant(TenantID, TenantEdgeSettings)
    /// Refused (400 for a malformed Host, 421 for a host not served on this connection, 404 for a platform
    /// route, ``PlatformPaths``); the connection closes.
    case refuse(HTTPResponseStatus, String)
    /// On the plain HTTP listener, a tenant served over HTTPS only: `308` to this location.
    case redirect(location: String, tenant: TenantID)
}

/// Phase 5's answer: what the cache holds for a key.
enum LookupDecision {
    /// A fresh copy: serve it.
    case fresh(CacheStore<CachedResponse>.Hit, age: Int)
    /// A stale copy within `stale-while-revalidate`: serve it and refresh once in the background.
    case staleWhileRevalidating(CacheStore<CachedResponse>.Hit, age: Int)
    /// Nothing usable: fetch (coalesced), with the stale copy to revalidate or to fall back on.
    case fetch(stale: StaleCopy?)
}

/// A stored copy past its freshness: revalidated by its validators, served on an origin error where
/// `stale-if-error` allows.
struct StaleCopy {
    let hit: CacheStore<CachedResponse>.Hit
    let servableOnError: Bool
}

/// The pipeline's phases that both protocols' entry points run: HTTP/1.1 connections and HTTP/2 stream
/// channels (``EdgeHTTPHandler``) and the HTTP/2 hit path on the connection (``HTTP2HitHandler``). Each
/// returns a decision; the entry point acts on it.
extension EdgeRuntime {
    /// Phase 2: the tenant from SNI (the connection's tenant) and `Host`/`:authority`; the origin's platform
    /// routes are refused first, whatever the host.
    /// - Parameters:
    ///   - target: the request target (origin-form).
    ///   - hostValues: the request's Host values (`:authority` on HTTP/2).
    ///   - connectionTenant: the tenant SNI chose; `nil` on the plain listener.
    ///   - hostCache: the connection's memory of its last Host.
    ///   - plainListener: on the plain HTTP listener, the HTTPS port redirects go to and the request they
    ///     are built from; `nil` on HTTPS.
    func resolveTenant(
        target: String,
        hostValues: [String],
        connectionTenant: TenantID?,
        hostCache: inout ConnectionHostCache,
        plainListener: (httpsPort: Int, head: HTTPRequestHead)?
    ) -> TenantDecision {
        if PlatformPaths.refuses(target) { return .refuse(.notFound, "not found") }
        switch hostCache.resolve(hostValues: hostValues, connectionTenant: connectionTenant, registry: registry) {
        case .tenant(let tenant, let settings):
            guard let plainListener, !settings.plainHTTP else { return .tenant(tenant, settings) }
            let host = hostValues.first.flatMap { HostName(normalising: $0) }
            let location = host.map { HTTPSRedirect.location(for: plainListener.head, host: $0, httpsPort: plainListener.httpsPort) } ?? "/"
            return .redirect(location: location, tenant: tenant)
        case .refused(.badRequest(let reason)):
            return .refuse(.badRequest, reason)
        case .refused:
            return .refuse(.misdirectedRequest, "this host is not served on this connection")
        }
    }

    /// Phase 5: looks `key` up.
    func lookUp(_ key: CacheKey, now: UInt64) -> LookupDecision {
        switch cache.lookup(key, now: now) {
        case .fresh(let hit):
            return .fresh(hit, age: hit.age(at: now))
        case .stale(let hit, whileRevalidating: true, _):
            return .staleWhileRevalidating(hit, age: hit.age(at: now))
        case .stale(let hit, whileRevalidating: false, let ifError):
            return .fetch(stale: StaleCopy(hit: hit, servableOnError: ifError))
        case .miss:
            return .fetch(stale: nil)
        }
    }
}
