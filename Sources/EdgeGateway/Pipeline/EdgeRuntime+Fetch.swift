import EdgeCore
import Foundation
import NIOCore
import NIOHTTP1
import Shared

extension EdgeRuntime {
    /// An origin response taken into the edge: what to serve, and the admission decision that was applied
    /// (stored, served only, or refused).
    struct Admitted {
        let decision: ResponseAdmission.Decision
        /// The cleaned response to serve (merged with the stored copy after a 304).
        let answer: CachedResponse
        /// Its `Age` as the origin sent it.
        let age: Int
        /// A 304 refreshed the stored copy.
        let revalidated: Bool
        /// It has a `Vary` field: one variant of several.
        let varies: Bool

        /// How requests coalesced on its key go on.
        func waiterOutcome(receivedAt: UInt64) -> CoalescedOutcome {
            switch decision.waiters(varies: varies) {
            case .share: .response(answer, initialAge: age, receivedAt: receivedAt)
            case .lookUpAgain: .lookupAgain
            case .fetchThemselves: .fetchYourself
            case .fail: .failed(.badGateway, "origin tenant mismatch")
            }
        }
    }

    /// The request sent upstream: the client's headers less hop-by-hop, edge-owned and override fields
    /// (``ForwardingPolicy``; the tenant's allow-list kept), plus the edge's own `Host` (the normalised
    /// storefront domain), forwarding fields and the resolved tenant. A cache fill asks for a full GET
    /// without a body (client conditionals are answered by the edge), revalidating a stored copy by its
    /// `ETag`/`Last-Modified`. `X-Forwarded-Port` is ``EdgeConfiguration/publicHTTPSPort``, else the
    /// configured HTTPS port (none when that is 0, a test's free port).
    func upstreamHead(
        for head: HTTPRequestHead,
        tenant: TenantID,
        clientAddress: String,
        cacheFill: Bool,
        revalidating stale: CachedResponse?
    ) -> HTTPRequestHead {
        var upstream = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri)
        let allowList = registry.snapshot.settings(for: tenant).forwardRequestHeaders
        upstream.headers = HeaderHygiene.trustedRequestFields(head.headers, allowList: allowList)
        let host = head.headers.first(name: "host").flatMap { HostName(normalising: $0) }?.rawValue ?? ""
        HeaderHygiene.removeHopByHop(&upstream.headers)
        if cacheFill {
            upstream.method = .GET
            upstream.headers.remove(name: "content-length")
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
        let port = configuration.publicHTTPSPort ?? (configuration.httpsPort == 0 ? nil : configuration.httpsPort)
        HeaderHygiene.setForwarding(&upstream.headers, host: host, clientAddress: clientAddress, port: port, tenant: tenant)
        return upstream
    }

    /// Takes an origin response in: cleans its head, merges a 304 into the stored copy, decides
    /// (``ResponseAdmission``) and stores what may be stored, with its purge tags and stale windows.
    func admit(
        _ response: HTTPClientResponse,
        request: HTTPRequestHead,
        tenant: TenantID,
        key: CacheKey?,
        stale: CacheStore<CachedResponse>.Hit?
    ) -> Admitted {
        let settings = registry.snapshot.settings(for: tenant)
        let taken = takeIn(response, request: request, settings: settings, cacheable: key != nil, stale: stale)
        // A stored answer gets fields and body in one exactly sized buffer: the body may be a slice of a
        // larger receive buffer (or grown by doubling), and the cache's memory stays close to what it
        // accounts for.
        let answer = CachedResponse(head: taken.head, body: taken.body, bodyOmitted: key == nil && request.method == .HEAD, compact: key != nil)
        let stamped = response.head.headers.first(name: StorefrontHeader.tenant)
        guard key != nil else {
            // A pass is served as it came: no caching fields to read.
            let decision = ResponseAdmission.decidePassed(stampedTenant: stamped, tenant: tenant)
            if case .refuse(let foreign) = decision { recordForeignTenant(foreign, request: request, tenant: tenant) }
            return Admitted(decision: decision, answer: answer, age: 0, revalidated: false, varies: false)
        }
        let fields = taken.fieldsAsSent
        let facts = ResponseAdmission.Response(
            status: Int(taken.head.status.code),
            stampedTenant: stamped,
            cacheControl: CacheControl(fieldValues: fields["cache-control"]),
            ageSeconds: max(0, Int(fields.first(name: "age") ?? "") ?? 0),
            hasSetCookie: fields.contains(name: "set-cookie"),
            vary: fields["vary"],
            date: fields.first(name: "date"),
            expires: fields.first(name: "expires"),
            lastModified: fields.first(name: "last-modified"),
            hasValidator: fields.contains(name: "etag") || fields.contains(name: "last-modified"),
            cost: answer.cost
        )
        let decision = ResponseAdmission.decide(
            facts,
            tenant: tenant,
            isLookup: key != nil,
            heuristic: settings.heuristicFreshness,
            limits: admissionLimits,
            nowWallSeconds: clock.wallSeconds,
            staleIfErrorGrace: settings.staleIfErrorSeconds
        )
        switch decision {
        case .refuse(let stamped):
            recordForeignTenant(stamped, request: request, tenant: tenant)
        case .serveOnly(let reason):
            if reason == .unstamped { statistics.recordUnstampedResponse(tenant: tenant) }
            // The origin answered and its answer may not be stored: the stale copy it supersedes goes too, so
            // an outage later never brings back a page that has since turned private or uncacheable.
            if let key, taken.revalidated || (stale != nil && taken.head.status.code < 500) { cache.remove(key) }
        case .store(let storage):
            guard let key else { break }
            // Variants of one URL are stored side by side, each under its own key, all tagged with the URL.
            let storeKey = taken.revalidated ? key : varyIndex.record(key, vary: facts.vary) { request.headers[$0] }
            cache.store(
                storeKey,
                payload: answer,
                size: answer.cost,
                now: now(),
                ttlSeconds: storage.ttlSeconds,
                initialAge: facts.ageSeconds,
                tags: SurrogateKey.parse(fields.first(name: StorefrontHeader.surrogateKey) ?? "", for: tenant) + [.url(tenant, request.uri)],
                staleWhileRevalidate: storage.staleWhileRevalidate,
                staleIfError: storage.staleIfError,
                keepForRevalidation: storage.keepForRevalidationSeconds
            )
        }
        return Admitted(decision: decision, answer: answer, age: facts.ageSeconds, revalidated: taken.revalidated, varies: !facts.vary.isEmpty)
    }

    /// An origin response as the edge keeps and serves it.
    private struct TakenIn {
        /// Cleaned: no hop-by-hop or internal fields, the tenant's HSTS, no cookie on a shared copy.
        var head: HTTPResponseHead
        var body: ByteBuffer
        /// The fields before the internal ones were removed (the admission decision reads them).
        var fieldsAsSent: HTTPHeaders
        /// A 304 refreshed the stored copy (RFC 9111 §4.3.4): its fields over the stored ones, the stored body.
        var revalidated: Bool
    }

    private func takeIn(
        _ response: HTTPClientResponse,
        request: HTTPRequestHead,
        settings: TenantEdgeSettings,
        cacheable: Bool,
        stale: CacheStore<CachedResponse>.Hit?
    ) -> TakenIn {
        var head = response.head
        head.version = request.version
        logDroppedFields(HeaderHygiene.cleanOriginResponse(&head.headers))
        var body = response.body
        var revalidated = false
        if cacheable, head.status == .notModified, let stale {
            var merged = stale.payload.head
            for (name, value) in head.headers where name.lowercased() != "content-length" {
                merged.headers.replaceOrAdd(name: name, value: value)
            }
            head = merged
            body = stale.payload.body
            revalidated = true
        }
        if let hsts = settings.hsts {
            head.headers.replaceOrAdd(name: "strict-transport-security", value: hsts.headerValue)
        }
        if cacheable, settings.storeSetCookie {
            // The tenant lets such responses be shared: the cookie itself never is.
            head.headers.remove(name: "set-cookie")
        }
        let fieldsAsSent = head.headers
        for name in HeaderHygiene.internalResponseFields { head.headers.remove(name: name) }
        return TakenIn(head: head, body: body, fieldsAsSent: fieldsAsSent, revalidated: revalidated)
    }

    /// Origin response fields not relayed for their value (CR, LF or NUL; see ``HeaderHygiene``).
    func logDroppedFields(_ names: [String]) {
        for name in names {
            logger.warning("origin response field not relayed", metadata: ["field": "\(name)", "reason": "CR, LF or NUL in the value"])
        }
    }

    var admissionLimits: ResponseAdmission.Limits {
        ResponseAdmission.Limits(
            maximumStoredObjectSize: configuration.maximumStoredObjectSize,
            revalidationGraceSeconds: configuration.revalidationGraceSeconds,
            requireTenantStamp: configuration.requireTenantStamp
        )
    }

    /// Defence in depth: the tenant the origin stamped on a response for `tenant`'s request when it is another
    /// one (logged loudly and counted: such a response is never stored or served); `nil` when it is not.
    func foreignTenantStamp(_ head: HTTPResponseHead, request: HTTPRequestHead, tenant: TenantID) -> String? {
        guard let stamped = head.headers.first(name: StorefrontHeader.tenant), stamped != tenant.rawValue else { return nil }
        recordForeignTenant(stamped, request: request, tenant: tenant)
        return stamped
    }

    private func recordForeignTenant(_ stamped: String, request: HTTPRequestHead, tenant: TenantID) {
        statistics.recordForeignTenantResponse(tenant: tenant)
        logger.critical(
            "origin answered for another tenant; response dropped",
            metadata: ["tenant": "\(tenant)", "stamped": "\(stamped)", "uri": "\(request.uri)"]
        )
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
                let admitted = self.admit(response, request: request, tenant: tenant, key: key, stale: stale)
                // Nobody waits on a refused background refresh: waiters ask the origin themselves.
                let outcome = admitted.decision.stores ? admitted.waiterOutcome(receivedAt: self.now()) : .fetchYourself
                self.wakeWaiters(key, outcome)
            default:
                // Keep serving the stale copy within its windows; waiters (if any) get it too.
                self.wakeWaiters(key, .response(stale.payload, initialAge: stale.initialAge, receivedAt: stale.storedAt))
            }
        }
    }
}
