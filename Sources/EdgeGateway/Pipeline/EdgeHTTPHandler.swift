import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// The edge's request path for one HTTP/1.1 connection or one HTTP/2 stream.
///
/// Runs the `EdgeCore` phases in order: resolve the tenant (SNI + Host), classify, look up, fetch on a miss,
/// classify the response, store, finalise. A hit is answered on the event loop without leaving it; a miss
/// runs the origin request on the same loop.
final class EdgeHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let runtime: EdgeRuntime
    /// The tenant chosen by SNI during the TLS handshake.
    private let connectionTenant: TenantID?
    /// On the plain HTTP listener (no TLS, no connection tenant): the HTTPS port redirects go to.
    private let redirectPort: Int?
    /// Where the connection is: reading a request, waiting for its answer, writing, closing.
    var connection: HTTP1ConnectionStateMachine
    /// On the edge's own HTTP/1 connections the handler writes bytes (no `HTTPResponseEncoder`, no pipelining
    /// handler): hits go out as the stored, pre-serialised fields plus a few fresh ones. HTTP/2 streams get
    /// response parts for the HTTP/2 codec.
    let rawHTTP1: Bool
    /// Replaying queued requests now (no re-entry from a response completed during the replay).
    private var replaying = false
    /// The HTTP/1 connection's guard (timeouts, request line), told where each request is.
    let requestGuard: RequestGuard?
    /// When the current request's head arrived (the edge's clock, nanoseconds).
    private var requestStart: UInt64 = 0
    /// A large origin response being relayed (not buffered); cancelled if the client goes away.
    var activeStream: UpstreamBodyStream?
    /// The tenant of the last `Host` value this connection resolved.
    private var hostCache = ConnectionHostCache()

    init(runtime: EdgeRuntime, connectionTenant: TenantID, rawHTTP1: Bool = false, requestGuard: RequestGuard? = nil) {
        self.runtime = runtime
        self.connectionTenant = connectionTenant
        self.redirectPort = nil
        self.rawHTTP1 = rawHTTP1
        self.requestGuard = requestGuard
        self.connection = HTTP1ConnectionStateMachine(maximumBodySize: runtime.configuration.maximumRequestBodySize, pipelining: rawHTTP1)
    }

    /// A handler for the plain HTTP listener: tenants that terminate TLS in front of the edge
    /// (`plainHTTP`) are served; every other storefront gets `308` to HTTPS; unknown hosts `421`.
    init(plainListener runtime: EdgeRuntime, httpsPort: Int, requestGuard: RequestGuard) {
        self.runtime = runtime
        self.connectionTenant = nil
        self.redirectPort = httpsPort
        self.rawHTTP1 = true
        self.requestGuard = requestGuard
        self.connection = HTTP1ConnectionStateMachine(maximumBodySize: runtime.configuration.maximumRequestBodySize, pipelining: true)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        process(unwrapInboundIn(data), context: context)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Set up after a drain began: answer at most one request (with Connection: close), and close if the
        // client sends none within a second.
        guard rawHTTP1, QuiesceFlag.isSet(on: context.pipeline) else { return }
        connection.acceptedWhileDraining()
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in
            guard let self, self.connection.isIdle else { return }
            self.connection.closed()
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // HTTP/2 streams finish on their own; the connection's drain handler closes it.
        guard rawHTTP1 else { return }
        if connection.quiesced() { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.closed()
        activeStream?.cancel()
        activeStream = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard rawHTTP1, let parserError = error as? HTTPParserError else {
            connection.closed()
            context.close(promise: nil)
            return
        }
        // A client that went away mid-request leaves the decoder an incomplete message: nobody to answer.
        guard context.channel.isActive else {
            connection.closed()
            return
        }
        let status: HTTPResponseStatus = parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
        if let now = connection.malformedRead(status) { respondMalformed(context: context, status: now) }
    }

    /// A malformed request: 400 (431 past the header limits) and close, never forwarded.
    private func respondMalformed(context: ChannelHandlerContext, status: HTTPResponseStatus) {
        var buffer = context.channel.allocator.buffer(capacity: 96)
        HTTP1ResponseSerializer.writeStatusLine(version: .http1_1, status: status, into: &buffer)
        buffer.writeStaticString("content-length: 0\r\nconnection: close\r\n\r\n")
        context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// After a response: the requests that were pipelined behind it, in order, then a malformed one.
    func replayQueued(context: ChannelHandlerContext) {
        guard !replaying else { return }
        replaying = true
        defer { replaying = false }
        while let part = connection.nextQueuedPart() { process(part, context: context) }
        if let status = connection.takeQueuedMalformed() { respondMalformed(context: context, status: status) }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch connection.partRead(part) {
        case .none:
            break
        case .startRequest(let head):
            startRequest(head, context: context)
        case .process(let head, let body):
            requestGuard?.requestReceived()
            handle(context: context, head: head, body: body)
        case .refuseAndClose(let head, let status, let message):
            respondSynthetic(
                context: context,
                request: RequestContext(head: head, started: requestStart),
                status: status,
                message: message,
                close: true
            )
        case .close:
            context.close(promise: nil)
        }
    }

    /// Phase 1, the request checks (RFC 9112 framing, the target, one Host), on the head alone.
    private func startRequest(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        requestStart = runtime.now()
        let hosts = head.headers["host"]
        let declaredLength = head.headers.first(name: "content-length")
        let transferEncoding = head.headers["transfer-encoding"]
        switch RequestHygiene.check(
            method: head.method.rawValue,
            contentLength: declaredLength,
            target: head.uri,
            isHTTP10: head.version == .http1_0,
            transferEncoding: transferEncoding,
            host: hosts.count == 1 ? hosts[0] : nil
        ) {
        case .success(let target):
            connection.targetNormalised(target)
            requestGuard?.headReceived(expectsBody: !transferEncoding.isEmpty || (declaredLength.flatMap(Int.init) ?? 0) > 0)
        case .failure(let refusal):
            connection.closed()
            respondSynthetic(
                context: context,
                request: RequestContext(head: head, started: requestStart),
                status: .badRequest,
                message: refusal.message,
                close: true
            )
        }
    }

    /// Phases 2 to 5 for a complete request: tenant, route (key or pass), lookup; then a hit is written,
    /// a miss fetched.
    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        var request = RequestContext(head: head, started: requestStart)
        let tenant: TenantID
        let settings: TenantEdgeSettings
        switch runtime.resolveTenant(
            target: head.uri,
            hostValues: head.headers["host"],
            connectionTenant: connectionTenant,
            hostCache: &hostCache,
            plainListener: redirectPort.map { ($0, head) }
        ) {
        case .tenant(let resolved, let resolvedSettings):
            (tenant, settings) = (resolved, resolvedSettings)
        case .refuse(let status, let message):
            respondSynthetic(context: context, request: request, status: status, message: message, close: true)
            return
        case .redirect(let location, let resolved):
            request.tenant = resolved
            respondSynthetic(
                context: context,
                request: request,
                status: .permanentRedirect,
                message: "moved to \(location)",
                close: true,
                fields: [("location", location)],
                noStore: false
            )
            return
        }
        request.tenant = tenant
        request.countsHits = settings.rateLimits?.countCacheHits ?? runtime.configuration.rateLimits.countCacheHits
        // Cache key and origin request both use the normalised target (tracking parameters dropped).
        let route = runtime.cacheRoute(tenant: tenant, settings: settings, method: head.method.rawValue, target: head.uri) { head.headers[$0] }
        // Only a target that lost tracking parameters is written back (a copy of the head).
        if route.target != head.uri { request.head.uri = route.target }
        if let key = route.key {
            lookup(context: context, request: request, tenant: tenant, key: key)
        } else {
            guard admitted(context: context, request: &request, tenant: tenant) else { return }
            if let delay = loginDelay(request, tenant: tenant) {
                // A client failing to log in waits before its next attempt reaches the origin.
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: delay) {
                    let (handler, context) = bound.value
                    handler.fetch(context: context, request: request, tenant: tenant, body: body, storeAs: nil)
                }
                return
            }
            fetch(context: context, request: request, tenant: tenant, body: body, storeAs: nil)
        }
    }

    /// The wait ``LoginThrottle`` sets for a request with credentials from a client with recent failed logins.
    private func loginDelay(_ request: RequestContext, tenant: TenantID) -> TimeAmount? {
        guard let limit = request.failedLogins, let client = request.client else { return nil }
        let milliseconds = runtime.rateLimiter.loginDelay(tenant: tenant, client: client, limit: limit, now: runtime.now())
        return milliseconds > 0 ? .milliseconds(Int64(milliseconds)) : nil
    }

    /// ``admitted(context:request:tenant:)`` for a hit of a tenant that counts hits (a hit goes no further, so
    /// nothing of the admission is kept).
    private func admittedHit(context: ChannelHandlerContext, request: RequestContext, tenant: TenantID) -> Bool {
        var request = request
        return admitted(context: context, request: &request, tenant: tenant)
    }

    /// Phase 5½, the rate limits (``RateLimiter``), for a request about to go to the origin (or any request
    /// where the tenant counts cache hits): a request with credentials whose client has used up its failed
    /// logins, or over its client's or tenant's rate, is answered `429` with `Retry-After`. Applied once per
    /// request.
    /// - Returns: whether the request may go on.
    func admitted(context: ChannelHandlerContext, request: inout RequestContext, tenant: TenantID) -> Bool {
        guard !request.rateLimitsApplied else { return true }
        request.rateLimitsApplied = true
        // Read here, not on every request: only origin-bound requests (and hits where counted) get this far.
        let policy = runtime.rateLimits(runtime.registry.snapshot.settings(for: tenant))
        if runtime.isRateExempt(request.head.headers) { return true }
        let client = runtime.clientAddress(peer: context.channel.remoteAddress, headers: request.head.headers)
        request.client = client
        let now = runtime.now()
        let hasCredentials = request.head.headers.contains(name: "authorization")
        if hasCredentials { request.failedLogins = policy.failedLogins }
        let refusal =
            (hasCredentials ? runtime.rateLimiter.admitLogin(tenant: tenant, client: client, policy: policy, now: now) : nil)
            ?? runtime.rateLimiter.admit(tenant: tenant, client: client, policy: policy, now: now)
        guard let refusal else { return true }
        runtime.metrics.recordRateLimited(refusal.reason)
        respondSynthetic(
            context: context,
            request: request,
            status: .tooManyRequests,
            message: refusal.reason == .login ? "too many failed logins" : "too many requests",
            close: false,
            fields: [("retry-after", String(refusal.retryAfterSeconds))]
        )
        return false
    }

    /// Phase 5 and what follows it: a fresh hit is written at once; a stale one within
    /// `stale-while-revalidate` too, refreshed once in the background; anything else is fetched.
    func lookup(context: ChannelHandlerContext, request: RequestContext, tenant: TenantID, key: CacheKey) {
        switch runtime.lookUp(key, now: runtime.now()) {
        case .fresh(let hit, let age):
            if request.countsHits, !admittedHit(context: context, request: request, tenant: tenant) { return }
            write(context: context, request: request, tenant: tenant, response: hit.payload, age: age, outcome: .hit)
        case .staleWhileRevalidating(let hit, let age):
            if request.countsHits, !admittedHit(context: context, request: request, tenant: tenant) { return }
            write(context: context, request: request, tenant: tenant, response: hit.payload, age: age, outcome: .stale)
            if runtime.coalescer.join(key, waiter: CoalescedWaiter { _ in }) == .leader {
                runtime.refreshInBackground(
                    key: key,
                    request: request.head,
                    tenant: tenant,
                    stale: hit,
                    clientAddress: runtime.clientAddress(peer: context.channel.remoteAddress, headers: request.head.headers),
                    on: context.eventLoop
                )
            }
        case .fetch(let stale):
            var request = request
            guard admitted(context: context, request: &request, tenant: tenant) else { return }
            coalescedFetch(context: context, request: request, tenant: tenant, key: key, stale: stale)
        }
    }
}
