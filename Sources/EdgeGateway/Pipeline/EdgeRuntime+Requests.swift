import EdgeCore
import NIOCore
import Shared

/// The request decisions both request paths share: the HTTP/1 and HTTP/2-stream handler (`EdgeHTTPHandler`)
/// and the HTTP/2 hit path on the connection (`HTTP2HitHandler`).
extension EdgeRuntime {
    /// The cache's view of a request whose tenant is known: its target with tracking parameters dropped
    /// (used for the key and for the origin request), and the key to look it up under (the `Vary` variant),
    /// or `nil` when the request passes the cache (method, credentials, an allow-listed override field:
    /// ``ForwardingPolicy/passesCache(allowList:has:)``).
    /// - Parameter fields: the request's values of a header field, by lowercased name.
    func cacheRoute(
        tenant: TenantID,
        settings: TenantEdgeSettings,
        method: String,
        target: String,
        fields: (String) -> [String]
    ) -> (target: String, key: CacheKey?) {
        let normalized = RequestTarget(target, trackingParameters: configuration.trackingParameters).normalized
        // An override field the tenant lets through is outside the key: such a request is never stored.
        if !settings.forwardRequestHeaders.isEmpty,
            ForwardingPolicy.passesCache(allowList: settings.forwardRequestHeaders, has: { !fields($0).isEmpty })
        {
            return (normalized, nil)
        }
        let hasCredentials = CachePolicy.hasCredentials(
            hasAuthorization: !fields("authorization").isEmpty,
            cookieHeaders: fields("cookie"),
            allowList: settings.cookieAllowList
        )
        switch CachePolicy.classify(tenant: tenant, method: method, target: normalized, hasCredentials: hasCredentials) {
        case .lookup(let key):
            return (normalized, varyIndex.key(for: key, requestValues: fields))
        case .pass:
            return (normalized, nil)
        }
    }

    /// An answered request: its latency and status class go to the metrics, its line to the access log
    /// (when on).
    /// - Parameters:
    ///   - started: when the request arrived (``now()``); 0 when unknown.
    ///   - loop: the event loop the request was answered on (the access log buffers per loop).
    func recordAnswer(
        tenant: String?,
        host: String?,
        method: String,
        path: String,
        status: Int,
        cache: String,
        origin: HTTPEndpoint? = nil,
        originNanoseconds: UInt64? = nil,
        started: UInt64,
        bytes: Int,
        on loop: any EventLoop
    ) {
        let now = now()
        let total = started > 0 && now > started ? now - started : 0
        metrics.recordRequest(tenant: tenant ?? "-", status: status, cache: cache, nanoseconds: total, originNanoseconds: originNanoseconds)
        guard let accessLog else { return }
        accessLog.record(
            AccessLog.Entry(
                tenant: tenant ?? "-",
                host: host ?? "-",
                method: method,
                path: path,
                status: status,
                cache: cache,
                origin: origin?.description,
                originNanoseconds: originNanoseconds,
                totalNanoseconds: total,
                bytes: bytes
            ),
            on: loop
        )
    }
}

/// The tenant a connection's requests resolve to, remembered for the last `Host` value seen: keep-alive
/// requests (and HTTP/2 streams) with the same Host skip normalisation and the directory lookup while the
/// tenant directory is unchanged (its generation counter).
struct ConnectionHostCache {
    enum Outcome {
        case tenant(TenantID, TenantEdgeSettings)
        /// Refused: `.badRequest` or `.misdirected`.
        case refused(TenantResolver.Resolution)
    }

    private var last: (raw: String, generation: Int, tenant: TenantID, settings: TenantEdgeSettings)?

    mutating func resolve(hostValues: [String], connectionTenant: TenantID?, registry: TenantRegistry) -> Outcome {
        let generation = registry.generation
        if hostValues.count == 1, let last, last.generation == generation, last.raw == hostValues[0] {
            return .tenant(last.tenant, last.settings)
        }
        let snapshot = registry.snapshot
        let resolution = TenantResolver(snapshot: snapshot).resolve(connectionTenant: connectionTenant, hostValues: hostValues)
        guard case .tenant(let tenant, _) = resolution else { return .refused(resolution) }
        let settings = snapshot.settings(for: tenant)
        last = (hostValues[0], generation, tenant, settings)
        return .tenant(tenant, settings)
    }
}
