import EdgeCore
import Foundation
import NIOCore
import NIOHTTP1
import Shared

extension EdgeRuntime {
    /// The result of taking an origin response into the edge.
    enum Admission {
        /// Serve this; `stored` when it went into the cache (so waiters may share it), `revalidated` when a
        /// 304 refreshed a stored copy, `varied` when it is one variant of several (`Vary`).
        case serve(CachedResponse, age: Int, stored: Bool, revalidated: Bool, varied: Bool)
        /// The origin stamped the response for another tenant: drop it.
        case foreignTenant(String)
    }

    /// The request sent upstream: the client's headers less hop-by-hop and edge-owned fields, plus
    /// forwarding headers and the resolved tenant. A cache fill asks for a full GET (client conditionals are
    /// answered by the edge), revalidating a stored copy by its `ETag`/`Last-Modified`.
    func upstreamHead(
        for head: HTTPRequestHead,
        tenant: TenantID,
        clientAddress: String,
        cacheFill: Bool,
        revalidating stale: CachedResponse?
    ) -> HTTPRequestHead {
        var upstream = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri)
        upstream.headers = head.headers
        HeaderHygiene.removeHopByHop(&upstream.headers)
        for name in HeaderHygiene.untrustedRequestFields { upstream.headers.remove(name: name) }
        if cacheFill {
            upstream.method = .GET
            upstream.headers.remove(name: "if-none-match")
            upstream.headers.remove(name: "if-modified-since")
            if let etag = stale?.etag { upstream.headers.add(name: "if-none-match", value: etag) }
            if let modified = stale?.field("last-modified") {
                upstream.headers.add(name: "if-modified-since", value: modified)
            }
        }
        // W3C trace context: continue the client's trace with a span of ours, or start one.
        var random = SystemRandomNumberGenerator()
        let trace = head.headers.first(name: "traceparent").flatMap { TraceParent(parsing: $0) }
        if trace == nil { upstream.headers.remove(name: "tracestate") }
        upstream.headers.replaceOrAdd(
            name: "traceparent",
            value: (trace?.child(using: &random) ?? TraceParent.startingTrace(using: &random)).description
        )
        upstream.headers.add(name: "x-forwarded-for", value: clientAddress)
        upstream.headers.add(name: "x-forwarded-proto", value: "https")
        upstream.headers.add(name: StorefrontHeader.tenant, value: tenant.rawValue)
        return upstream
    }

    /// Checks the tenant stamp, cleans the head, merges a 304 into the stored copy, and stores what may be
    /// stored (with its purge tags and stale windows).
    func admit(
        _ response: HTTPClientResponse,
        request: HTTPRequestHead,
        tenant: TenantID,
        key: CacheKey?,
        stale: CacheStore<CachedResponse>.Hit?
    ) -> Admission {
        if let stamped = foreignTenantStamp(response.head, request: request, tenant: tenant) {
            return .foreignTenant(stamped)
        }
        var head = response.head
        head.version = request.version
        HeaderHygiene.removeHopByHop(&head.headers)
        var body = response.body
        var revalidated = false
        if key != nil, head.status == .notModified, let stale {
            // RFC 9111 §4.3.4: the 304's fields replace the stored ones; the stored body stays.
            var merged = stale.payload.head
            for (name, value) in head.headers where name.lowercased() != "content-length" {
                merged.headers.replaceOrAdd(name: name, value: value)
            }
            head = merged
            body = stale.payload.body
            revalidated = true
        }
        let settings = registry.snapshot.settings(for: tenant)
        if let hsts = settings.hsts {
            head.headers.replaceOrAdd(name: "strict-transport-security", value: hsts.headerValue)
        }
        if key != nil, settings.storeSetCookie {
            // The tenant lets such responses be shared: the cookie itself never is.
            head.headers.remove(name: "set-cookie")
        }
        let headers = head.headers
        for name in HeaderHygiene.internalResponseFields { head.headers.remove(name: name) }
        // A stored answer gets fields and body in one exactly sized buffer: the body may be a slice of a
        // larger receive buffer (or grown by doubling), and the cache's memory stays close to what it
        // accounts for.
        let answer = CachedResponse(head: head, body: body, bodyOmitted: key == nil && request.method == .HEAD, compact: key != nil)
        let age = max(0, Int(headers.first(name: "age") ?? "") ?? 0)
        guard let key else { return .serve(answer, age: age, stored: false, revalidated: false, varied: false) }
        let vary = headers["vary"]
        let cacheControl = CacheControl(fieldValues: headers["cache-control"])
        let date = headers.first(name: "date").flatMap(HTTPDate.parse) ?? clock.wallSeconds
        let decision = CachePolicy.classify(
            status: Int(head.status.code),
            cacheControl: cacheControl,
            ageSeconds: age,
            hasSetCookie: headers.contains(name: "set-cookie"),
            hasVary: vary.contains { $0.contains("*") },
            expires: headers.first(name: "expires").map { value in
                guard let expires = HTTPDate.parse(value) else { return 0 }
                return expires - date
            },
            hasValidator: headers.contains(name: "etag") || headers.contains(name: "last-modified"),
            heuristicLifetime: CachePolicy.heuristicLifetime(
                settings.heuristicFreshness,
                lastModifiedAge: headers.first(name: "last-modified").flatMap(HTTPDate.parse).map { date - $0 }
            )
        )
        guard case .store(let ttl) = decision, answer.cost <= configuration.maximumStoredObjectSize else {
            if revalidated { cache.remove(key) }
            return .serve(answer, age: age, stored: false, revalidated: revalidated, varied: !vary.isEmpty)
        }
        let windows = CachePolicy.staleWindows(cacheControl)
        // Variants of one URL are stored side by side, each under its own key, all tagged with the URL.
        let storeKey = revalidated ? key : varyIndex.record(key, vary: vary) { request.headers[$0] }
        cache.store(
            storeKey,
            payload: answer,
            size: answer.cost,
            now: self.now(),
            ttlSeconds: ttl,
            initialAge: age,
            tags: SurrogateKey.parse(headers.first(name: StorefrontHeader.surrogateKey) ?? "", for: tenant)
                + [.url(tenant, request.uri)],
            staleWhileRevalidate: windows.whileRevalidating,
            staleIfError: windows.ifError,
            keepForRevalidation: headers.contains(name: "etag") || headers.contains(name: "last-modified")
                ? configuration.revalidationGraceSeconds : 0
        )
        return .serve(answer, age: age, stored: true, revalidated: revalidated, varied: !vary.isEmpty)
    }

    /// Defence in depth: the tenant the origin stamped on a response for `tenant`'s request when it is another
    /// one (logged loudly and counted: such a response is never stored or served); `nil` when it is not.
    func foreignTenantStamp(_ head: HTTPResponseHead, request: HTTPRequestHead, tenant: TenantID) -> String? {
        guard let stamped = head.headers.first(name: StorefrontHeader.tenant), stamped != tenant.rawValue else { return nil }
        statistics.recordForeignTenantResponse(tenant: tenant)
        logger.critical(
            "origin answered for another tenant; response dropped",
            metadata: ["tenant": "\(tenant)", "stamped": "\(stamped)", "uri": "\(request.uri)"]
        )
        return stamped
    }

    /// Refreshes a stale object without a client waiting (stale-while-revalidate). The caller is the
    /// coalescer's leader for `key`; whatever happens, the fetch ends by waking any waiters.
    func refreshInBackground(
        key: CacheKey,
        request: HTTPRequestHead,
        tenant: TenantID,
        stale: CacheStore<CachedResponse>.Hit,
        clientAddress: String,
        on eventLoop: any EventLoop
    ) {
        let upstream = upstreamHead(for: request, tenant: tenant, clientAddress: clientAddress, cacheFill: true, revalidating: stale.payload)
        sendToOrigin(upstream, body: nil, on: eventLoop, deadline: .now() + configuration.originTimeout).whenComplete { result in
            switch result.map(\.0) {
            case .success(let response) where response.head.status.code < 500:
                switch self.admit(response, request: request, tenant: tenant, key: key, stale: stale) {
                case .serve(_, _, true, _, true):
                    self.wakeWaiters(key, .lookupAgain)
                case .serve(let answer, let age, true, _, false):
                    self.wakeWaiters(key, .response(answer, initialAge: age, receivedAt: self.now()))
                case .serve, .foreignTenant:
                    self.wakeWaiters(key, .fetchYourself)
                }
            default:
                // Keep serving the stale copy within its windows; waiters (if any) get it too.
                self.wakeWaiters(key, .response(stale.payload, initialAge: stale.initialAge, receivedAt: stale.storedAt))
            }
        }
    }
}
