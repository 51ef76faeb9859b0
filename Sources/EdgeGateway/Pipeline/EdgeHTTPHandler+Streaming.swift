import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// Relaying origin responses too large to store: the body goes to the client as it arrives, never whole in
/// memory. Reads from the origin pause while more than ``StreamWindow/high`` bytes wait to be written to the
/// client, and resume below ``StreamWindow/low``, so a slow client holds at most about a window per response.
extension EdgeHTTPHandler {
    enum StreamWindow {
        static let high = 1024 * 1024
        static let low = 256 * 1024
    }

    func relay(
        context: ChannelHandlerContext,
        request requestContext: RequestContext,
        tenant: TenantID,
        head upstreamHead: HTTPResponseHead,
        stream: UpstreamBodyStream,
        key: CacheKey?,
        stale: CacheStore<CachedResponse>.Hit?
    ) {
        let request = requestContext.head
        if runtime.foreignTenantStamp(upstreamHead, request: request, tenant: tenant) != nil {
            stream.cancel()
            if let key { runtime.wakeWaiters(key, .failed(.badGateway, "origin tenant mismatch")) }
            respondSynthetic(context: context, request: requestContext, status: .badGateway, message: "origin tenant mismatch", close: false)
            return
        }
        if let key {
            // Too large to store, so not shareable: waiters fetch for themselves, and an older stored copy
            // of this URL (being revalidated) is outdated by this answer.
            if stale != nil { runtime.cache.remove(key) }
            runtime.wakeWaiters(key, .fetchYourself)
        }
        runtime.statistics.record(.pass, tenant: tenant, now: runtime.now())
        let length = upstreamHead.headers.first(name: "content-length").flatMap(Int.init) ?? -1
        logAccess(context: context, request: requestContext, status: Int(upstreamHead.status.code), cache: "PASS", bytes: length)
        var head = upstreamHead
        head.version = request.version
        runtime.logDroppedFields(HeaderHygiene.cleanOriginResponse(&head.headers))
        for name in HeaderHygiene.internalResponseFields { head.headers.remove(name: name) }
        head.headers.replaceOrAdd(name: StorefrontHeader.cacheStatus, value: CacheStatistics.Outcome.pass.header)
        let hasLength = head.headers.contains(name: "content-length")
        // HTTP/1.1 without a length: chunked; HTTP/1.0 without a length: the end of the connection ends it.
        let chunked = rawHTTP1 && !hasLength && request.version != .http1_0
        var finish = ResponseFinalizer.finish(
            method: request.method.rawValue,
            status: Int(head.status.code),
            body: .streamed,
            validatorMatched: request.method == .GET
                && HTTPComparisons.ifNoneMatch(request.headers["if-none-match"], matches: head.headers.first(name: "etag") ?? ""),
            keepAlive: request.isKeepAlive,
            lastOnConnection: lastOnConnection
        )
        // A body with neither a length nor chunked coding (HTTP/1.0) ends with the connection.
        if finish.sendsBody, rawHTTP1, !hasLength, !chunked { finish.closesConnection = true }
        head.status = Self.status(finish, from: head.status)
        guard finish.sendsBody else {
            stream.cancel()
            finishHead(context: context, head: head, finish: finish, body: nil)
            return
        }
        if chunked { head.headers.add(name: "transfer-encoding", value: "chunked") }
        if rawHTTP1 {
            Self.apply(finish, to: &head)
            var bytes = context.channel.allocator.buffer(capacity: 512)
            HTTP1ResponseSerializer.writeHead(head, into: &bytes)
            context.write(NIOAny(bytes), promise: nil)
        } else {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        }
        context.flush()
        connection.streamingStarted()
        relayBody(context: context, stream: stream, chunked: chunked, closeAfter: finish.closesConnection, tenant: tenant, uri: request.uri)
    }

    /// The body as it arrives, with backpressure; the end finishes the response, a break cuts the connection.
    private func relayBody(context: ChannelHandlerContext, stream: UpstreamBodyStream, chunked: Bool, closeAfter: Bool, tenant: TenantID, uri: String)
    {
        activeStream = stream
        let window = StreamWindowState()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        stream.start { event in
            let (handler, context) = bound.value
            switch event {
            case .bytes(let bytes):
                let count = bytes.readableBytes
                guard count > 0 else { return }
                window.inFlight += count
                let written = context.eventLoop.makePromise(of: Void.self)
                handler.writeStreamed(context: context, bytes: bytes, chunked: chunked, promise: written)
                written.futureResult.assumeIsolated().whenComplete { _ in
                    window.inFlight -= count
                    if window.paused, window.inFlight < StreamWindow.low {
                        window.paused = false
                        stream.resume()
                    }
                }
                if !window.paused, window.inFlight > StreamWindow.high {
                    window.paused = true
                    stream.pause()
                }
            case .end:
                handler.activeStream = nil
                let done = context.eventLoop.makePromise(of: Void.self)
                if handler.rawHTTP1 {
                    if chunked {
                        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(staticString: "0\r\n\r\n")), promise: done)
                    } else {
                        context.flush()
                        done.succeed()
                    }
                } else {
                    context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: done)
                }
                handler.completed(context: context, done: done.futureResult, close: closeAfter)
            case .failed(let error):
                // Part of the response is already out: the only honest signal left is to cut the connection
                // (HTTP/1) or reset the stream (HTTP/2), so the client sees a truncated response.
                handler.activeStream = nil
                handler.runtime.logger.warning(
                    "origin response broke off while streaming",
                    metadata: ["tenant": "\(tenant)", "uri": "\(uri)", "error": "\(error)"]
                )
                handler.connection.closed()
                context.close(promise: nil)
            }
        }
    }

    private func writeStreamed(context: ChannelHandlerContext, bytes: ByteBuffer, chunked: Bool, promise: EventLoopPromise<Void>) {
        guard rawHTTP1 else {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: promise)
            return
        }
        if chunked {
            var size = context.channel.allocator.buffer(capacity: 12)
            size.writeString(String(bytes.readableBytes, radix: 16))
            size.writeStaticString("\r\n")
            context.write(NIOAny(size), promise: nil)
            context.write(NIOAny(bytes), promise: nil)
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(staticString: "\r\n")), promise: promise)
        } else {
            context.writeAndFlush(NIOAny(bytes), promise: promise)
        }
    }
}

/// Bytes handed to the client's channel and not yet written, for one relayed response (event loop only).
private final class StreamWindowState {
    var inFlight = 0
    var paused = false
}
