import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// Writing responses: parts for HTTP/2 streams, bytes (pre-serialised fields for hits) on HTTP/1.
extension EdgeHTTPHandler {
    /// Finalises and writes a response: `Age`, `X-Cache`, 304 for a matching `If-None-Match`, no body for HEAD.
    func write(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        response: CachedResponse,
        age: Int?,
        tenant: TenantID,
        outcome: CacheStatistics.Outcome
    ) {
        runtime.statistics.record(outcome, tenant: tenant, now: runtime.now())
        let notModified = (request.method == .GET || request.method == .HEAD)
            && response.matches(ifNoneMatch: request.headers["if-none-match"])
        logAccess(
            context: context,
            request: request,
            tenant: tenant.rawValue,
            status: notModified ? 304 : Int(response.status.code),
            cache: outcome.rawValue,
            bytes: notModified || request.method == .HEAD ? 0 : response.bodyLength
        )
        if rawHTTP1 {
            writeRaw(context: context, request: request, response: response, notModified: notModified, age: age, outcome: outcome)
            return
        }
        var head = response.head
        head.version = request.version
        if let age { head.headers.replaceOrAdd(name: "age", value: String(age)) }
        // A coalesced request was served from the cache's one fetch: to the client, a hit.
        head.headers.replaceOrAdd(name: StorefrontHeader.cacheStatus, value: outcome.header)
        var sendBody = true
        if notModified {
            head.status = .notModified
            head.headers.remove(name: "content-length")
            sendBody = false
        } else if head.status == .notModified || head.status == .noContent || head.status.code < 200 {
            head.headers.remove(name: "content-length")
            sendBody = false
        } else if !response.bodyOmitted {
            head.headers.replaceOrAdd(name: "content-length", value: String(response.bodyLength))
        }
        if request.method == .HEAD { sendBody = false }
        let keepAlive = request.isKeepAlive
        if !keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        finish(
            context: context,
            head: head,
            body: sendBody ? response.bodyHead : nil,
            tail: sendBody ? response.bodyTail : nil,
            close: !keepAlive
        )
    }

    /// The HTTP/1 hit path: status line, the stored pre-serialised fields, then `Age`, `X-Cache`,
    /// `Content-Length` and `Connection` written fresh; the body buffer goes out as it is stored (no copy).
    func writeRaw(
        context: ChannelHandlerContext,
        request: HTTPRequestHead,
        response: CachedResponse,
        notModified: Bool,
        age: Int?,
        outcome: CacheStatistics.Outcome
    ) {
        let status: HTTPResponseStatus = notModified ? .notModified : response.status
        var sendBody = true
        var contentLength: Int? = response.bodyOmitted ? nil : response.bodyLength
        if status == .notModified || status == .noContent || status.code < 200 {
            sendBody = false
            contentLength = nil
        }
        if request.method == .HEAD { sendBody = false }
        let keepAlive = request.isKeepAlive && !(quiescing && pending.isEmpty)
        let bodyBytes = sendBody ? response.bodyLength : 0
        var head = context.channel.allocator.buffer(
            capacity: response.serializedFields.readableBytes + 128 + (bodyBytes <= Self.coalescedBodyLimit ? bodyBytes : 0)
        )
        HTTP1ResponseSerializer.writeStatusLine(version: request.version, status: status, into: &head)
        var fields = response.serializedFields
        head.writeBuffer(&fields)
        if let age {
            head.writeStaticString("age: ")
            HTTP1ResponseSerializer.writeDecimal(age, into: &head)
            head.writeStaticString("\r\n")
        }
        head.writeStaticString("x-cache: ")
        head.writeString(outcome.header)
        head.writeStaticString("\r\n")
        if let contentLength {
            head.writeStaticString("content-length: ")
            HTTP1ResponseSerializer.writeDecimal(contentLength, into: &head)
            head.writeStaticString("\r\n")
        } else if let length = response.omittedBodyLength {
            head.writeStaticString("content-length: ")
            head.writeString(length)
            head.writeStaticString("\r\n")
        }
        if !keepAlive { head.writeStaticString("connection: close\r\n") }
        head.writeStaticString("\r\n")
        if !sendBody || bodyBytes == 0 {
            finishRaw(context: context, head: head, body: nil, close: !keepAlive)
        } else if bodyBytes <= Self.coalescedBodyLimit {
            // One buffer, so TLS seals one record instead of two: copying a small body costs less than a
            // second record (its header, tag and a second encryption pass).
            head.writeImmutableBuffer(response.bodyHead)
            if let tail = response.bodyTail { head.writeImmutableBuffer(tail) }
            finishRaw(context: context, head: head, body: nil, close: !keepAlive)
        } else {
            finishRaw(context: context, head: head, body: response.bodyHead, tail: response.bodyTail, close: !keepAlive)
        }
    }

    /// Bodies up to this size are written in the same buffer as the head (a TLS record holds 16 KiB).
    static let coalescedBodyLimit = 12 * 1024

    /// Writes the head, then the body (in up to two stored buffers, uncopied), and goes on (or closes).
    func finishRaw(context: ChannelHandlerContext, head: ByteBuffer, body: ByteBuffer?, tail: ByteBuffer? = nil, close: Bool) {
        // A promise (an allocation and a future) only when something waits for the write: closing after it.
        let closing = close || (rawHTTP1 && quiescing && pending.isEmpty)
        let done = closing ? context.eventLoop.makePromise(of: Void.self) : nil
        if let body, body.readableBytes > 0 {
            context.write(NIOAny(head), promise: nil)
            if let tail, tail.readableBytes > 0 {
                context.write(NIOAny(body), promise: nil)
                context.writeAndFlush(NIOAny(tail), promise: done)
            } else {
                context.writeAndFlush(NIOAny(body), promise: done)
            }
        } else {
            context.writeAndFlush(NIOAny(head), promise: done)
        }
        completed(context: context, done: done?.futureResult, close: close)
    }

    /// The response is written (or, with `done`, being written): close after it, or go on with the next
    /// pipelined request.
    func completed(context: ChannelHandlerContext, done: EventLoopFuture<Void>?, close: Bool) {
        if close || (rawHTTP1 && quiescing && pending.isEmpty) {
            state = .discarding
            if let done {
                done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        } else if case .responding = state {
            state = .idle
            requestGuard?.responseSent()
            drainPending(context: context)
        }
    }

    func respondSynthetic(
        context: ChannelHandlerContext,
        head request: HTTPRequestHead,
        status: HTTPResponseStatus,
        message: String,
        close: Bool
    ) {
        let body = context.channel.allocator.buffer(string: message + "\n")
        logAccess(context: context, request: request, tenant: nil, status: Int(status.code), cache: "-", bytes: body.readableBytes)
        var head = HTTPResponseHead(version: request.version, status: status)
        head.headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        head.headers.add(name: "content-length", value: String(body.readableBytes))
        head.headers.add(name: "cache-control", value: "no-store")
        let close = close || !request.isKeepAlive || (rawHTTP1 && quiescing && pending.isEmpty)
        if close { head.headers.add(name: "connection", value: "close") }
        finish(context: context, head: head, body: request.method == .HEAD ? nil : body, close: close)
    }

    func finish(context: ChannelHandlerContext, head: HTTPResponseHead, body: ByteBuffer?, tail: ByteBuffer? = nil, close: Bool) {
        if rawHTTP1 {
            var bytes = context.channel.allocator.buffer(capacity: 256)
            HTTP1ResponseSerializer.writeHead(head, into: &bytes)
            finishRaw(context: context, head: bytes, body: body, tail: tail, close: close)
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if let tail, tail.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(tail))), promise: nil) }
        if close {
            context.writeAndFlushWithPromise(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        if !close, case .responding = state {
            state = .idle
        }
    }
}

extension EdgeHTTPHandler {
    /// A request is answered: its latency and status go to the metrics, its line to the access log (when on).
    func logAccess(context: ChannelHandlerContext, request: HTTPRequestHead, tenant: String?, status: Int, cache: String, bytes: Int) {
        runtime.recordAnswer(
            tenant: tenant,
            host: request.headers.first(name: "host"),
            method: request.method.rawValue,
            path: request.uri,
            status: status,
            cache: cache,
            origin: originUsed,
            originNanoseconds: originNanoseconds,
            started: requestStart,
            bytes: bytes,
            on: context.eventLoop
        )
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushWithPromise(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}
