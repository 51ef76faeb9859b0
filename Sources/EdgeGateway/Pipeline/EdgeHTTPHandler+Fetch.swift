import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// The miss path: one fetch per key (coalesced waiters), stale-if-error, admission, invalidation after
/// unsafe methods, and waiters resuming.
extension EdgeHTTPHandler {
    /// Phase 6: a miss (or an unusable stale copy): the first request fetches, the others wait for it.
    func coalescedFetch(context: ChannelHandlerContext, request: RequestContext, tenant: TenantID, key: CacheKey, stale: StaleCopy?) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let waiter = CoalescedWaiter { outcome in
            loop.execute {
                let (handler, context) = bound.value
                handler.resume(context: context, request: request, tenant: tenant, outcome: outcome)
            }
        }
        switch runtime.coalescer.join(key, waiter: waiter) {
        case .leader:
            fetch(context: context, request: request, tenant: tenant, body: nil, storeAs: key, stale: stale)
        case .waiter:
            break  // resumed when the leader's fetch ends
        }
    }

    /// Phase 7 and 8: an origin (least outstanding, healthy), the request as the edge alone decides it,
    /// the answer taken in (or a failure).
    /// - Parameter key: where a cacheable answer is stored; `nil` for a request that passes the cache (or a
    ///   waiter told to fetch for itself).
    func fetch(
        context: ChannelHandlerContext,
        request: RequestContext,
        tenant: TenantID,
        body: ByteBuffer?,
        storeAs key: CacheKey?,
        stale: StaleCopy? = nil
    ) {
        let upstream = runtime.upstreamHead(
            for: request.head,
            tenant: tenant,
            clientAddress: request.client ?? runtime.clientAddress(peer: context.channel.remoteAddress, headers: request.head.headers),
            cacheFill: key != nil,
            revalidating: stale?.hit.payload
        )
        let deadline = NIODeadline.now() + runtime.configuration.originTimeout
        let future = runtime.sendToOrigin(
            upstream,
            body: body,
            on: context.eventLoop,
            deadline: deadline,
            streamAbove: runtime.configuration.maximumStoredObjectSize
        )
        let asked = runtime.now()
        future.assumeIsolated().whenComplete { result in
            var request = request
            if case .success(let (_, origin)) = result {
                request.origin = origin
                request.originNanoseconds = self.runtime.now() - asked
            }
            switch result.map(\.0) {
            case .success(let response) where response.head.status.code >= 500 && stale?.servableOnError == true:
                // RFC 5861 stale-if-error: a 5xx from the origin, a stale copy allowed: serve the copy.
                response.stream?.cancel()
                self.failed(context: context, request: request, tenant: tenant, key: key, stale: stale, status: .badGateway, message: "origin error")
            case .success(let response):
                self.received(context: context, request: request, tenant: tenant, response: response, key: key, stale: stale?.hit)
            case .failure(let error):
                self.runtime.logger.warning("origin request failed", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                let timedOut = (error as? HTTPClientError) == .timeout
                let noOrigin = (error as? OriginPoolError) == .noUsableOrigin
                self.failed(
                    context: context,
                    request: request,
                    tenant: tenant,
                    key: key,
                    stale: stale,
                    status: timedOut ? .gatewayTimeout : .badGateway,
                    message: timedOut ? "origin timed out" : noOrigin ? "no healthy origin" : "origin unavailable"
                )
            }
        }
    }

    /// The origin could not answer: a stale copy where allowed, else an error; waiters get the same.
    func failed(
        context: ChannelHandlerContext,
        request: RequestContext,
        tenant: TenantID,
        key: CacheKey?,
        stale: StaleCopy?,
        status: HTTPResponseStatus,
        message: String
    ) {
        if let stale, stale.servableOnError {
            if let key { runtime.wakeWaiters(key, .response(stale.hit.payload, initialAge: stale.hit.initialAge, receivedAt: stale.hit.storedAt)) }
            let age = stale.hit.age(at: runtime.now())
            write(context: context, request: request, tenant: tenant, response: stale.hit.payload, age: age, outcome: .stale)
            return
        }
        if let key { runtime.wakeWaiters(key, .failed(status, message)) }
        respondSynthetic(context: context, request: request, status: status, message: message, close: false)
    }

    /// Phases 9 and 10: the origin's answer is taken in (``EdgeRuntime/admit(_:request:tenant:key:stale:)``),
    /// waiters told how to go on, and the answer finished (or relayed when too large to store).
    func received(
        context: ChannelHandlerContext,
        request: RequestContext,
        tenant: TenantID,
        response: HTTPClientResponse,
        key: CacheKey?,
        stale: CacheStore<CachedResponse>.Hit?
    ) {
        let head = request.head
        if let limit = request.failedLogins, let client = request.client, [401, 403].contains(response.head.status.code) {
            runtime.rateLimiter.loginFailed(tenant: tenant, client: client, limit: limit, now: runtime.now())
        }
        if Self.unsafeMethods.contains(head.method), (200..<400).contains(Int(response.head.status.code)) {
            invalidateAfterUnsafe(tenant: tenant, target: head.uri, headers: response.head.headers)
        }
        if let stream = response.stream {
            relay(context: context, request: request, tenant: tenant, head: response.head, stream: stream, key: key, stale: stale)
            return
        }
        let admitted = runtime.admit(response, request: head, tenant: tenant, key: key, stale: stale)
        // Not stored means not shareable (private, Set-Cookie, …): waiters ask the origin themselves; one
        // variant of several may not be theirs: they look up again.
        if let key { runtime.wakeWaiters(key, admitted.waiterOutcome(receivedAt: runtime.now())) }
        switch admitted.decision {
        case .refuse:
            respondSynthetic(context: context, request: request, status: .badGateway, message: "origin tenant mismatch", close: false)
        case .serveOnly:
            write(context: context, request: request, tenant: tenant, response: admitted.answer, age: key == nil ? nil : admitted.age, outcome: .pass)
        case .store:
            let outcome: CacheStatistics.Outcome = admitted.revalidated ? .hit : .miss
            write(context: context, request: request, tenant: tenant, response: admitted.answer, age: admitted.age, outcome: outcome)
        }
    }

    static let unsafeMethods: [HTTPMethod] = [.POST, .PUT, .DELETE, .PATCH]

    /// RFC 9111 §4.4: a successful unsafe request invalidates the stored responses for its target and for
    /// `Location`/`Content-Location` when they point into the same tenant.
    func invalidateAfterUnsafe(tenant: TenantID, target: String, headers: HTTPHeaders) {
        var targets = [target]
        for name in ["location", "content-location"] {
            guard let value = headers.first(name: name) else { continue }
            if value.hasPrefix("/") {
                targets.append(value)
            } else if let schemeEnd = value.range(of: "://") {
                let rest = value[schemeEnd.upperBound...]
                let authority = rest.prefix(while: { $0 != "/" })
                let path = rest.dropFirst(authority.count)
                if let host = HostName(normalising: authority), runtime.registry.snapshot.tenant(for: host) == tenant {
                    targets.append(path.isEmpty ? "/" : String(path))
                }
            }
        }
        for target in targets {
            let normalized = RequestTarget(target, trackingParameters: runtime.configuration.trackingParameters).normalized
            runtime.cache.purge(tenant: tenant, tags: [SurrogateKey.url(tenant, normalized).rawValue])
        }
    }

    /// Continues a request that waited for another request's fetch of the same key.
    func resume(context: ChannelHandlerContext, request: RequestContext, tenant: TenantID, outcome: CoalescedOutcome) {
        switch outcome {
        case .response(let response, let initialAge, let receivedAt):
            let age = initialAge + Int((runtime.now() &- receivedAt) / 1_000_000_000)
            write(context: context, request: request, tenant: tenant, response: response, age: age, outcome: .coalesced)
        case .fetchYourself:
            fetch(context: context, request: request, tenant: tenant, body: nil, storeAs: nil)
        case .lookupAgain:
            let head = request.head
            guard case .lookup(let base) = CachePolicy.classify(tenant: tenant, method: head.method.rawValue, target: head.uri, hasCredentials: false)
            else { return }
            lookup(context: context, request: request, tenant: tenant, key: runtime.varyIndex.key(for: base) { head.headers[$0] })
        case .failed(let status, let message):
            respondSynthetic(context: context, request: request, status: status, message: message, close: false)
        }
    }
}
