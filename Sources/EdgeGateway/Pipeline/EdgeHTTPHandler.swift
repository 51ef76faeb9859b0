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

    enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer?)
        /// The body grew past the limit; the rest of the request is dropped and the connection closed.
        case discarding
        case responding
    }

    let runtime: EdgeRuntime
    /// The tenant chosen by SNI during the TLS handshake.
    private let connectionTenant: TenantID?
    /// On the plain HTTP listener (no TLS, no connection tenant): the HTTPS port redirects go to.
    private let redirectPort: Int?
    var state = State.idle
    /// On the edge's own HTTP/1 connections the handler writes bytes (no `HTTPResponseEncoder`, no pipelining
    /// handler): hits go out as the stored, pre-serialised fields plus a few fresh ones. HTTP/2 streams get
    /// response parts for the HTTP/2 codec.
    let rawHTTP1: Bool
    /// Pipelined request parts that arrived while a response was still being produced (raw HTTP/1 only).
    var pending = CircularBuffer<HTTPServerRequestPart>()
    private var draining = false
    /// The decoder failed on a later pipelined request: answer 400 (431 for header limits) once the earlier
    /// ones are answered.
    private var malformedAfterPending: HTTPResponseStatus?
    /// The HTTP/1 connection's guard (timeouts, request line), told where each request is.
    let requestGuard: RequestGuard?
    /// When the current request's head arrived (monotonic nanoseconds), the origin asked and how long it
    /// took to answer: for the access log.
    var requestStart: UInt64 = 0
    var originUsed: HTTPEndpoint?
    var originNanoseconds: UInt64?
    /// The edge is draining: the current response is the connection's last.
    var quiescing = false
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
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if rawHTTP1, case .responding = state {
            // HTTP/1 pipelining: answer in order, one request at a time.
            pending.append(part)
            if pending.count > 256 { context.close(promise: nil) }
            return
        }
        process(part, context: context)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Set up after a drain began: answer at most one request (with Connection: close), and close if the
        // client sends none within a second.
        guard rawHTTP1, QuiesceFlag.isSet(on: context.pipeline) else { return }
        quiescing = true
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in
            guard let self, case .idle = self.state, self.pending.isEmpty else { return }
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
        quiescing = true
        if case .idle = state, pending.isEmpty { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        activeStream?.cancel()
        activeStream = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard rawHTTP1, error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let status: HTTPResponseStatus = (error as? HTTPParserError) == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
        if case .responding = state {
            malformedAfterPending = status
            return
        }
        respondMalformed(context: context, status: status)
    }

    /// A malformed request: 400 (431 past the header limits) and close, never forwarded.
    private func respondMalformed(context: ChannelHandlerContext, status: HTTPResponseStatus) {
        var buffer = context.channel.allocator.buffer(capacity: 96)
        HTTP1ResponseSerializer.writeStatusLine(version: .http1_1, status: status, into: &buffer)
        buffer.writeStaticString("content-length: 0\r\nconnection: close\r\n\r\n")
        state = .discarding
        context.writeAndFlush(NIOAny(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func drainPending(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !pending.isEmpty {
            if case .responding = state { return }
            if case .discarding = state { return }
            process(pending.removeFirst(), context: context)
        }
        if let status = malformedAfterPending, case .idle = state { respondMalformed(context: context, status: status) }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(var head), .idle):
            requestStart = runtime.now()
            originUsed = nil
            originNanoseconds = nil
            let hosts = head.headers["host"]
            switch RequestHygiene.check(
                target: head.uri,
                isHTTP10: head.version == .http1_0,
                transferEncoding: head.headers["transfer-encoding"],
                host: hosts.count == 1 ? hosts[0] : nil
            ) {
            case .success(let target):
                head.uri = target
                state = .receiving(head, nil)
                requestGuard?.headReceived(
                    expectsBody: head.headers.contains(name: "transfer-encoding")
                        || (head.headers.first(name: "content-length").flatMap(Int.init) ?? 0) > 0
                )
            case .failure(let refusal):
                state = .discarding
                respondSynthetic(context: context, head: head, status: .badRequest, message: refusal.message, close: true)
            }
        case (.body(var part), .receiving(let head, var body)):
            if (body?.readableBytes ?? 0) + part.readableBytes > runtime.configuration.maximumRequestBodySize {
                state = .discarding
                respondSynthetic(context: context, head: head, status: .payloadTooLarge, message: "request body too large", close: true)
                return
            }
            if body == nil { body = part } else { body!.writeBuffer(&part) }
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            state = .responding
            requestGuard?.requestReceived()
            handle(context: context, head: head, body: body)
        case (_, .discarding):
            break
        default:
            state = .discarding
            context.close(promise: nil)
        }
    }

    /// A handler for the plain HTTP listener: tenants that terminate TLS in front of the edge
    /// (`plainHTTP`) are served; every other storefront gets `308` to HTTPS; unknown hosts `421`.
    init(plainListener runtime: EdgeRuntime, httpsPort: Int, requestGuard: RequestGuard) {
        self.runtime = runtime
        self.connectionTenant = nil
        self.redirectPort = httpsPort
        self.rawHTTP1 = true
        self.requestGuard = requestGuard
    }

    /// The request's tenant and its settings, or `nil` after answering 400/421 (or 308 on the plain
    /// listener for a tenant served over HTTPS only).
    private func resolveTenant(context: ChannelHandlerContext, head: HTTPRequestHead) -> (TenantID, TenantEdgeSettings)? {
        guard let (tenant, settings) = lookUpTenant(context: context, head: head) else { return nil }
        if let redirectPort, !settings.plainHTTP {
            let host = head.headers.first(name: "host").flatMap { HostName(normalising: $0) }
            let location = host.map { HTTPSRedirect.location(for: head, host: $0, httpsPort: redirectPort) } ?? "/"
            respondSynthetic(
                context: context,
                head: head,
                status: .permanentRedirect,
                message: "moved to \(location)",
                close: true,
                tenant: tenant.rawValue,
                fields: [("location", location)]
            )
            return nil
        }
        return (tenant, settings)
    }

    private func lookUpTenant(context: ChannelHandlerContext, head: HTTPRequestHead) -> (TenantID, TenantEdgeSettings)? {
        switch hostCache.resolve(hostValues: head.headers["host"], connectionTenant: connectionTenant, registry: runtime.registry) {
        case .tenant(let tenant, let settings):
            return (tenant, settings)
        case .refused(.badRequest(let reason)):
            respondSynthetic(context: context, head: head, status: .badRequest, message: reason, close: true)
        case .refused:
            respondSynthetic(
                context: context,
                head: head,
                status: .misdirectedRequest,
                message: "this host is not served on this connection",
                close: true
            )
        }
        return nil
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        guard let (tenant, settings) = resolveTenant(context: context, head: head) else { return }
        // Cache key and origin request both use the normalised target (tracking parameters dropped).
        var head = head
        let route = runtime.cacheRoute(tenant: tenant, settings: settings, method: head.method.rawValue, target: head.uri) { head.headers[$0] }
        head.uri = route.target
        if let key = route.key {
            lookup(context: context, head: head, tenant: tenant, key: key)
        } else {
            fetch(context: context, head: head, body: body, tenant: tenant, storeAs: nil)
        }
    }

    func lookup(context: ChannelHandlerContext, head: HTTPRequestHead, tenant: TenantID, key: CacheKey) {
        let now = runtime.now()
        switch runtime.cache.lookup(key, now: now) {
        case .fresh(let hit):
            let age = hit.age(at: now)
            write(context: context, request: head, response: hit.payload, age: age, tenant: tenant, outcome: .hit)
        case .stale(let hit, whileRevalidating: true, _):
            // RFC 5861 stale-while-revalidate: answer now, refresh once in the background.
            let age = hit.age(at: now)
            write(context: context, request: head, response: hit.payload, age: age, tenant: tenant, outcome: .stale)
            if runtime.coalescer.join(key, waiter: CoalescedWaiter { _ in }) == .leader {
                runtime.refreshInBackground(
                    key: key,
                    request: head,
                    tenant: tenant,
                    stale: hit,
                    clientAddress: context.channel.remoteAddress?.ipAddress ?? "unknown",
                    on: context.eventLoop
                )
            }
        case .stale(let hit, whileRevalidating: false, let ifError):
            coalescedFetch(context: context, head: head, tenant: tenant, key: key, stale: (hit, servableOnError: ifError))
        case .miss:
            coalescedFetch(context: context, head: head, tenant: tenant, key: key, stale: nil)
        }
    }
}
