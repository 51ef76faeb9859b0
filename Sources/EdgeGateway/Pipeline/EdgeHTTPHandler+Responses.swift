import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// The finish phase for HTTP/1 connections and HTTP/2 stream channels: every response, stored or the
/// edge's own, is decided by ``ResponseFinalizer`` and then written as bytes (HTTP/1) or as response parts
/// (HTTP/2 stream channels).
extension EdgeHTTPHandler {
    /// The connection closes after the response being produced now (HTTP/1 while draining, with nothing
    /// queued behind it).
    var lastOnConnection: Bool { connection.lastOnConnection }

    /// Finishes and writes a response from the cache or the origin: `Age`, `X-Cache`, 304 for a matching
    /// `If-None-Match`, no body for HEAD.
    func write(
        context: ChannelHandlerContext,
        request: RequestContext,
        tenant: TenantID,
        response: CachedResponse,
        age: Int?,
        outcome: CacheStatistics.Outcome
    ) {
        let requestHead = request.head
        runtime.statistics.record(outcome, tenant: tenant, now: runtime.now())
        let finish = ResponseFinalizer.finish(
            method: requestHead.method.rawValue,
            status: Int(response.status.code),
            body: response.bodyOmitted ? .omitted : .bytes(response.bodyLength),
            validatorMatched: response.matches(ifNoneMatch: requestHead.headers["if-none-match"]),
            keepAlive: requestHead.isKeepAlive,
            lastOnConnection: lastOnConnection
        )
        logAccess(
            context: context,
            request: request,
            status: finish.status,
            cache: outcome.rawValue,
            bytes: finish.sendsBody ? response.bodyLength : 0
        )
        if rawHTTP1 {
            writeStored(context: context, version: requestHead.version, response: response, finish: finish, age: age, outcome: outcome)
            return
        }
        var head = response.head
        head.version = requestHead.version
        head.status = Self.status(finish, from: response.status)
        if let age { head.headers.replaceOrAdd(name: "age", value: String(age)) }
        // A coalesced request was served from the cache's one fetch: to the client, a hit.
        head.headers.replaceOrAdd(name: StorefrontHeader.cacheStatus, value: outcome.header)
        writeParts(
            context: context,
            head: head,
            finish: finish,
            body: finish.sendsBody ? response.bodyHead : nil,
            tail: finish.sendsBody ? response.bodyTail : nil
        )
    }

    /// The HTTP/1 hit path: status line, the stored pre-serialised fields, then `Age`, `X-Cache`,
    /// `Content-Length` and `Connection` written fresh; the body buffer goes out as it is stored (no copy).
    private func writeStored(
        context: ChannelHandlerContext,
        version: HTTPVersion,
        response: CachedResponse,
        finish: ResponseFinalizer.Finish,
        age: Int?,
        outcome: CacheStatistics.Outcome
    ) {
        let bodyBytes = finish.sendsBody ? response.bodyLength : 0
        let inline = bodyBytes <= Self.coalescedBodyLimit
        var head = context.channel.allocator.buffer(capacity: response.serializedFields.readableBytes + 128 + (inline ? bodyBytes : 0))
        HTTP1ResponseSerializer.writeStatusLine(version: version, status: Self.status(finish, from: response.status), into: &head)
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
        switch finish.length {
        case .exact(let length):
            head.writeStaticString("content-length: ")
            HTTP1ResponseSerializer.writeDecimal(length, into: &head)
            head.writeStaticString("\r\n")
        case .asOrigin:
            if let length = response.omittedBodyLength {
                head.writeStaticString("content-length: ")
                head.writeString(length)
                head.writeStaticString("\r\n")
            }
        case .none:
            break
        }
        if finish.closesConnection { head.writeStaticString("connection: close\r\n") }
        head.writeStaticString("\r\n")
        if bodyBytes == 0 {
            finishRaw(context: context, head: head, body: nil, close: finish.closesConnection)
        } else if inline {
            // One buffer, so TLS seals one record instead of two: copying a small body costs less than a
            // second record (its header, tag and a second encryption pass).
            head.writeImmutableBuffer(response.bodyHead)
            if let tail = response.bodyTail { head.writeImmutableBuffer(tail) }
            finishRaw(context: context, head: head, body: nil, close: finish.closesConnection)
        } else {
            finishRaw(context: context, head: head, body: response.bodyHead, tail: response.bodyTail, close: finish.closesConnection)
        }
    }

    /// The status to send: the response's own (with the origin's reason phrase, for codes NIO does not
    /// know), or 304 when the finaliser turned it into one.
    static func status(_ finish: ResponseFinalizer.Finish, from original: HTTPResponseStatus) -> HTTPResponseStatus {
        finish.status == Int(original.code) ? original : HTTPResponseStatus(statusCode: finish.status)
    }

    /// Bodies up to this size are written in the same buffer as the head (a TLS record holds 16 KiB).
    static let coalescedBodyLimit = 12 * 1024

    /// An answer of the edge's own (an error, a refusal, a redirect): a short text body, never stored.
    /// - Parameters:
    ///   - close: the connection closes after it (a malformed or refused request).
    ///   - fields: extra header fields (`Location` of a redirect).
    ///   - noStore: `Cache-Control: no-store` (errors); a permanent redirect may be kept by the client.
    func respondSynthetic(
        context: ChannelHandlerContext,
        request: RequestContext,
        status: HTTPResponseStatus,
        message: String,
        close: Bool,
        fields: [(String, String)] = [],
        noStore: Bool = true
    ) {
        let body = context.channel.allocator.buffer(string: message + "\n")
        let finish = ResponseFinalizer.finish(
            method: request.head.method.rawValue,
            status: Int(status.code),
            body: .bytes(body.readableBytes),
            validatorMatched: false,
            keepAlive: request.head.isKeepAlive && !close,
            lastOnConnection: lastOnConnection
        )
        logAccess(context: context, request: request, status: finish.status, cache: "-", bytes: body.readableBytes)
        var head = HTTPResponseHead(version: request.head.version, status: status)
        for (name, value) in fields { head.headers.add(name: name, value: value) }
        head.headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        if noStore { head.headers.add(name: "cache-control", value: "no-store") }
        finishHead(context: context, head: head, finish: finish, body: finish.sendsBody ? body : nil)
    }

    /// Writes a response whose head is a value (answers of the edge's own, relayed heads): `Content-Length`
    /// and `Connection` from `finish`, then the body.
    func finishHead(context: ChannelHandlerContext, head: HTTPResponseHead, finish: ResponseFinalizer.Finish, body: ByteBuffer?) {
        guard rawHTTP1 else {
            writeParts(context: context, head: head, finish: finish, body: body, tail: nil)
            return
        }
        var head = head
        Self.apply(finish, to: &head)
        var bytes = context.channel.allocator.buffer(capacity: 256)
        HTTP1ResponseSerializer.writeHead(head, into: &bytes)
        finishRaw(context: context, head: bytes, body: body, close: finish.closesConnection)
    }

    /// Sets `Content-Length` and `Connection` as `finish` says.
    static func apply(_ finish: ResponseFinalizer.Finish, to head: inout HTTPResponseHead) {
        switch finish.length {
        case .exact(let length): head.headers.replaceOrAdd(name: "content-length", value: String(length))
        case .asOrigin: break
        case .none: head.headers.remove(name: "content-length")
        }
        if finish.closesConnection { head.headers.replaceOrAdd(name: "connection", value: "close") }
    }

    /// An HTTP/2 stream channel's response: head, body parts, end (then the stream closes).
    private func writeParts(
        context: ChannelHandlerContext,
        head: HTTPResponseHead,
        finish: ResponseFinalizer.Finish,
        body: ByteBuffer?,
        tail: ByteBuffer?
    ) {
        var head = head
        Self.apply(finish, to: &head)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if let tail, tail.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(tail))), promise: nil) }
        switch connection.responseCompleted(closeAfter: finish.closesConnection) {
        case .close:
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .continueReading:
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// Writes the head, then the body (in up to two stored buffers, uncopied), and goes on (or closes).
    func finishRaw(context: ChannelHandlerContext, head: ByteBuffer, body: ByteBuffer?, tail: ByteBuffer? = nil, close: Bool) {
        // A promise (an allocation and a future) only when something waits for the write: closing after it.
        let closing = close || lastOnConnection
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
        switch connection.responseCompleted(closeAfter: close) {
        case .close:
            if let done {
                done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .continueReading:
            requestGuard?.responseSent()
            replayQueued(context: context)
        }
    }
}

extension EdgeHTTPHandler {
    /// Phase 12: a request is answered; its latency and status go to the metrics, its line to the access
    /// log (when on).
    func logAccess(context: ChannelHandlerContext, request: RequestContext, status: Int, cache: String, bytes: Int) {
        runtime.recordAnswer(
            tenant: request.tenant?.rawValue,
            host: request.head.headers.first(name: "host"),
            method: request.head.method.rawValue,
            path: request.head.uri,
            status: status,
            cache: cache,
            origin: request.origin,
            originNanoseconds: request.originNanoseconds,
            started: request.started,
            bytes: bytes,
            on: context.eventLoop
        )
    }
}
