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

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer?)
        /// The body grew past the limit; the rest of the request is dropped and the connection closed.
        case discarding
        case responding
    }

    private let runtime: EdgeRuntime
    /// The tenant chosen by SNI during the TLS handshake.
    private let connectionTenant: TenantID
    private var state = State.idle

    init(runtime: EdgeRuntime, connectionTenant: TenantID) {
        self.runtime = runtime
        self.connectionTenant = connectionTenant
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            state = .receiving(head, nil)
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
            handle(context: context, head: head, body: body)
        case (_, .discarding):
            break
        default:
            state = .discarding
            context.close(promise: nil)
        }
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        let resolver = TenantResolver(snapshot: runtime.registry.snapshot)
        switch resolver.resolve(connectionTenant: connectionTenant, hostValues: head.headers["host"]) {
        case .badRequest(let reason):
            respondSynthetic(context: context, head: head, status: .badRequest, message: reason, close: true)
        case .misdirected:
            respondSynthetic(
                context: context,
                head: head,
                status: .misdirectedRequest,
                message: "this host is not served on this connection",
                close: true
            )
        case .tenant(let tenant, _):
            // Cache key and origin request both use the normalised target (tracking parameters dropped).
            var head = head
            head.uri = RequestTarget(head.uri, trackingParameters: runtime.configuration.trackingParameters).normalized
            let hasCredentials = head.headers.contains(name: "authorization") || head.headers.contains(name: "cookie")
            switch CachePolicy.classify(
                tenant: tenant,
                method: head.method.rawValue,
                target: head.uri,
                hasCredentials: hasCredentials
            ) {
            case .lookup(let key):
                lookup(context: context, head: head, tenant: tenant, key: key)
            case .pass:
                fetch(context: context, head: head, body: body, tenant: tenant, storeAs: nil, cacheStatus: "PASS")
            }
        }
    }

    private func lookup(context: ChannelHandlerContext, head: HTTPRequestHead, tenant: TenantID, key: CacheKey) {
        let now = EdgeRuntime.now()
        switch runtime.cache.lookup(key, now: now) {
        case .fresh(let hit):
            let age = hit.initialAge + Int((now &- hit.storedAt) / 1_000_000_000)
            write(context: context, request: head, response: hit.payload, age: age, tenant: tenant, outcome: .hit)
        case .miss:
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let loop = context.eventLoop
            let waiter = CoalescedWaiter { outcome in
                loop.execute {
                    let (handler, context) = bound.value
                    handler.resume(context: context, head: head, tenant: tenant, outcome: outcome)
                }
            }
            switch runtime.coalescer.join(key, waiter: waiter) {
            case .leader:
                fetch(context: context, head: head, body: nil, tenant: tenant, storeAs: key, cacheStatus: "MISS")
            case .waiter:
                break  // resumed when the leader's fetch ends
            }
        }
    }

    private func fetch(
        context: ChannelHandlerContext,
        head: HTTPRequestHead,
        body: ByteBuffer?,
        tenant: TenantID,
        storeAs key: CacheKey?,
        cacheStatus: String
    ) {
        guard let origin = runtime.selectOrigin() else {
            if let key { runtime.wakeWaiters(key, .failed(.badGateway, "no origin configured")) }
            respondSynthetic(context: context, head: head, status: .badGateway, message: "no origin configured", close: false)
            return
        }
        var upstream = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri)
        upstream.headers = head.headers
        HeaderHygiene.removeHopByHop(&upstream.headers)
        for name in HeaderHygiene.untrustedRequestFields { upstream.headers.remove(name: name) }
        if key != nil {
            // A cache fill asks for the full GET response; client conditionals are answered by the edge.
            upstream.method = .GET
            upstream.headers.remove(name: "if-none-match")
            upstream.headers.remove(name: "if-modified-since")
        }
        upstream.headers.add(name: "x-forwarded-for", value: context.channel.remoteAddress?.ipAddress ?? "unknown")
        upstream.headers.add(name: "x-forwarded-proto", value: "https")
        upstream.headers.add(name: StorefrontHeader.tenant, value: tenant.rawValue)

        let deadline = NIODeadline.now() + runtime.configuration.originTimeout
        let future = runtime.client.execute(upstream, body: body, to: origin, on: context.eventLoop, deadline: deadline)
        future.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let response):
                self.received(context: context, request: head, response: response, tenant: tenant, key: key, cacheStatus: cacheStatus)
            case .failure(let error):
                self.runtime.logger.warning(
                    "origin request failed",
                    metadata: ["tenant": "\(tenant)", "origin": "\(origin)", "error": "\(error)"]
                )
                let timedOut = (error as? HTTPClientError) == .timeout
                let status: HTTPResponseStatus = timedOut ? .gatewayTimeout : .badGateway
                let message = timedOut ? "origin timed out" : "origin unavailable"
                if let key { self.runtime.wakeWaiters(key, .failed(status, message)) }
                self.respondSynthetic(context: context, head: head, status: status, message: message, close: false)
            }
        }
    }

    private func received(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        response: HTTPClientResponse,
        tenant: TenantID,
        key: CacheKey?,
        cacheStatus: String
    ) {
        // Defence in depth: never serve or store what the origin produced for another tenant.
        if let stamped = response.head.headers.first(name: StorefrontHeader.tenant), stamped != tenant.rawValue {
            runtime.logger.critical(
                "origin answered for another tenant; response dropped",
                metadata: ["tenant": "\(tenant)", "stamped": "\(stamped)", "uri": "\(request.uri)"]
            )
            if let key { runtime.wakeWaiters(key, .failed(.badGateway, "origin tenant mismatch")) }
            respondSynthetic(context: context, head: request, status: .badGateway, message: "origin tenant mismatch", close: false)
            return
        }
        var head = response.head
        head.version = request.version
        HeaderHygiene.removeHopByHop(&head.headers)
        let headers = head.headers
        if Self.unsafeMethods.contains(request.method), (200..<400).contains(Int(head.status.code)) {
            invalidateAfterUnsafe(tenant: tenant, target: request.uri, headers: headers)
        }
        for name in HeaderHygiene.internalResponseFields { head.headers.remove(name: name) }
        let stored = CachedResponse(
            head: head,
            body: response.body,
            etag: headers.first(name: "etag"),
            bodyOmitted: key == nil && request.method == .HEAD
        )
        var status = cacheStatus
        var age = Int(headers.first(name: "age") ?? "") ?? 0
        if let key {
            let decision = CachePolicy.classify(
                status: Int(head.status.code),
                cacheControl: CacheControl(fieldValues: headers["cache-control"]),
                ageSeconds: age,
                hasSetCookie: headers.contains(name: "set-cookie"),
                hasVary: headers.contains(name: "vary")
            )
            if case .store(let ttl) = decision, stored.cost <= runtime.configuration.maximumStoredObjectSize {
                let tags = SurrogateKey.parse(headers.first(name: StorefrontHeader.surrogateKey) ?? "", for: tenant)
                runtime.cache.store(
                    key,
                    payload: stored,
                    size: stored.cost,
                    now: EdgeRuntime.now(),
                    ttlSeconds: ttl,
                    initialAge: age,
                    tags: tags
                )
                runtime.wakeWaiters(key, .response(stored, initialAge: age, receivedAt: EdgeRuntime.now()))
            } else {
                status = "PASS"
                // Not shareable (private, Set-Cookie, …): each waiter asks the origin for its own answer.
                runtime.wakeWaiters(key, .fetchYourself)
            }
        }
        age = max(0, age)
        write(
            context: context,
            request: request,
            response: stored,
            age: key == nil ? nil : age,
            tenant: tenant,
            outcome: status == "MISS" ? .miss : .pass
        )
    }

    static let unsafeMethods: [HTTPMethod] = [.POST, .PUT, .DELETE, .PATCH]

    /// RFC 9111 §4.4: a successful unsafe request invalidates the stored responses for its target and for
    /// `Location`/`Content-Location` when they point into the same tenant.
    private func invalidateAfterUnsafe(tenant: TenantID, target: String, headers: HTTPHeaders) {
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
            if case .lookup(let key) = CachePolicy.classify(tenant: tenant, method: "GET", target: normalized, hasCredentials: false) {
                runtime.cache.remove(key)
            }
        }
    }

    /// Continues a request that waited for another request's fetch of the same key.
    private func resume(context: ChannelHandlerContext, head: HTTPRequestHead, tenant: TenantID, outcome: CoalescedOutcome) {
        switch outcome {
        case .response(let response, let initialAge, let receivedAt):
            let age = initialAge + Int((EdgeRuntime.now() &- receivedAt) / 1_000_000_000)
            write(context: context, request: head, response: response, age: age, tenant: tenant, outcome: .coalesced)
        case .fetchYourself:
            fetch(context: context, head: head, body: nil, tenant: tenant, storeAs: nil, cacheStatus: "PASS")
        case .failed(let status, let message):
            respondSynthetic(context: context, head: head, status: status, message: message, close: false)
        }
    }

    /// Finalises and writes a response: `Age`, `X-Cache`, 304 for a matching `If-None-Match`, no body for HEAD.
    private func write(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        response: CachedResponse,
        age: Int?,
        tenant: TenantID,
        outcome: CacheStatistics.Outcome
    ) {
        var head = response.head
        head.version = request.version
        if let age { head.headers.replaceOrAdd(name: "age", value: String(age)) }
        // A coalesced request was served from the cache's one fetch: to the client, a hit.
        head.headers.replaceOrAdd(name: StorefrontHeader.cacheStatus, value: outcome == .coalesced ? "HIT" : outcome.rawValue)
        runtime.statistics.record(outcome, tenant: tenant, now: EdgeRuntime.now())
        var body: ByteBuffer? = response.body
        if let etag = response.etag, Self.matches(ifNoneMatch: request.headers["if-none-match"], etag: etag),
            request.method == .GET || request.method == .HEAD
        {
            head.status = .notModified
            head.headers.remove(name: "content-length")
            body = nil
        } else if head.status == .notModified || head.status == .noContent || head.status.code < 200 {
            head.headers.remove(name: "content-length")
            body = nil
        } else if !response.bodyOmitted {
            head.headers.replaceOrAdd(name: "content-length", value: String(response.body.readableBytes))
        }
        if request.method == .HEAD { body = nil }
        let keepAlive = request.isKeepAlive
        if !keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        finish(context: context, head: head, body: body, close: !keepAlive)
    }

    private func respondSynthetic(
        context: ChannelHandlerContext,
        head request: HTTPRequestHead,
        status: HTTPResponseStatus,
        message: String,
        close: Bool
    ) {
        let body = context.channel.allocator.buffer(string: message + "\n")
        var head = HTTPResponseHead(version: request.version, status: status)
        head.headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        head.headers.add(name: "content-length", value: String(body.readableBytes))
        head.headers.add(name: "cache-control", value: "no-store")
        let close = close || !request.isKeepAlive
        if close { head.headers.add(name: "connection", value: "close") }
        finish(context: context, head: head, body: request.method == .HEAD ? nil : body, close: close)
    }

    private func finish(context: ChannelHandlerContext, head: HTTPResponseHead, body: ByteBuffer?, close: Bool) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlushWithPromise(wrapOutboundOut(.end(nil)))
        if close {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else if case .responding = state {
            state = .idle
        }
    }

    /// Weak comparison of an `If-None-Match` list against a stored entity tag (RFC 9110 §13.1.2).
    static func matches(ifNoneMatch values: [String], etag: String) -> Bool {
        let opaque = { (tag: Substring) -> Substring in tag.hasPrefix("W/") ? tag.dropFirst(2) : tag }
        let stored = opaque(Substring(etag))
        for value in values {
            for candidate in value.split(separator: ",") {
                let tag = candidate.trimmingCharacters(in: " \t")
                if tag == "*" || opaque(tag) == stored { return true }
            }
        }
        return false
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushWithPromise(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        let start = firstIndex(where: { !set.contains($0) }) ?? endIndex
        let end = lastIndex(where: { !set.contains($0) }).map { index(after: $0) } ?? start
        return start < end ? self[start..<end] : self[start..<start]
    }
}
