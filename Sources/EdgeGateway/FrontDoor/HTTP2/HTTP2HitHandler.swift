import EdgeCore
import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Shared

/// The HTTP/2 hit path, on the connection: a GET or HEAD whose HEADERS frame ends the stream, for this
/// connection's tenant, fresh in the cache, is answered here with one HEADERS and one DATA frame. Every other
/// stream (a miss, a stale page, a pass, a request with a body, anything refused) goes on to the stream
/// multiplexer and gets a stream channel with the HTTP/2-to-HTTP/1 codec and ``EdgeHTTPHandler``, exactly as
/// before this handler existed.
///
/// Why: profiled with `perf` under `h2load -m10`, a hit spent most of its time creating and activating the
/// stream channel, converting to HTTP/1 parts and back, and flushing every response on its own (one TLS
/// record and one write per stream). Here no channel is created and the responses written while one read's
/// frames are processed are flushed once, at the end of the read: ten streams, one TLS record.
///
/// Sits between the HTTP/2 handler (and the drain handler) and the multiplexer.
final class HTTP2HitHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let runtime: EdgeRuntime
    private let connectionTenant: TenantID
    private var hostCache = ConnectionHostCache()
    /// Streams answered here that the HTTP/2 handler has not closed yet: their later frames (WINDOW_UPDATE,
    /// RST_STREAM) stop here, since the multiplexer knows nothing of them.
    private var answered = Set<HTTP2StreamID>()
    private var needsFlush = false

    init(runtime: EdgeRuntime, connectionTenant: TenantID) {
        self.runtime = runtime
        self.connectionTenant = connectionTenant
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers) where headers.endStream:
            if answer(streamID: frame.streamID, request: headers.headers, context: context) { return }
        case .headers:
            break
        default:
            if !answered.isEmpty, answered.contains(frame.streamID) { return }
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let closed = event as? StreamClosedEvent, !answered.isEmpty {
            answered.remove(closed.streamID)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Answers the stream from the cache when it is a fresh hit; `false` leaves it to the stream channel path.
    private func answer(streamID: HTTP2StreamID, request: HPACKHeaders, context: ChannelHandlerContext) -> Bool {
        guard let method = request.first(name: ":method"), method == "GET" || method == "HEAD",
            let path = request.first(name: ":path"),
            !request.contains(name: "host")
        else { return false }
        let started = runtime.now()
        let authority = request[":authority"]
        // The same phases as every other request (checks, tenant, route, lookup); anything but a fresh hit
        // goes on to a stream channel, where the rest of the pipeline runs.
        guard
            case .success(let target) = RequestHygiene.check(
                target: path,
                isHTTP10: false,
                transferEncoding: request["transfer-encoding"],
                host: authority.first
            ),
            case .tenant(let tenant, let settings) = runtime.resolveTenant(
                target: target,
                hostValues: authority,
                connectionTenant: connectionTenant,
                hostCache: &hostCache,
                plainListener: nil
            )
        else { return false }
        // A tenant whose hits count towards its rate limits takes the stream path, where they are applied.
        guard !(settings.rateLimits?.countCacheHits ?? runtime.configuration.rateLimits.countCacheHits) else { return false }
        let route = runtime.cacheRoute(tenant: tenant, settings: settings, method: method, target: target) { request[$0] }
        guard let key = route.key, case .fresh(let hit, let age) = runtime.lookUp(key, now: started) else { return false }
        let response = hit.payload
        let status = response.status
        guard !response.bodyOmitted, status.code >= 200, status != .noContent, status != .notModified else { return false }

        let finish = ResponseFinalizer.finish(
            method: method,
            status: Int(status.code),
            body: .bytes(response.bodyLength),
            validatorMatched: response.matches(ifNoneMatch: request["if-none-match"]),
            keepAlive: true,
            lastOnConnection: false
        )
        runtime.statistics.record(.hit, tenant: tenant, now: started)
        runtime.recordAnswer(
            tenant: tenant.rawValue,
            host: authority[0],
            method: method,
            path: route.target,
            status: finish.status,
            cache: CacheStatistics.Outcome.hit.rawValue,
            started: started,
            bytes: finish.sendsBody ? response.bodyLength : 0,
            on: context.eventLoop
        )
        write(response, age: age, finish: finish, streamID: streamID, context: context)
        return true
    }

    /// The hit as one HEADERS frame (the stored fields, lowercased, plus `Age`, `X-Cache` and
    /// `Content-Length`) and the stored body buffers as DATA frames, flushed at the end of the read.
    private func write(
        _ response: CachedResponse,
        age: Int,
        finish: ResponseFinalizer.Finish,
        streamID: HTTP2StreamID,
        context: ChannelHandlerContext
    ) {
        let sendBody = finish.sendsBody
        var fields = HPACKHeaders()
        fields.reserveCapacity(8)
        fields.add(name: ":status", value: String(finish.status))
        // HTTP/2 field names are lowercase; the stored ones are as the origin wrote them. Their values were
        // made valid for HTTP/2 once, when the response was taken in (HeaderHygiene.cleanOriginResponse).
        response.forEachField { name, value in
            let lowercased = String(unsafeUninitializedCapacity: name.count) { target in
                for (index, byte) in name.enumerated() { target[index] = CachedResponse.lowercased(byte) }
                return name.count
            }
            fields.add(name: lowercased, value: String(decoding: value, as: UTF8.self))
        }
        fields.add(name: "age", value: String(age))
        fields.add(name: StorefrontHeader.cacheStatus, value: CacheStatistics.Outcome.hit.header)
        if case .exact(let length) = finish.length { fields.add(name: "content-length", value: String(length)) }
        // Before the writes: the stream may close while they are processed.
        answered.insert(streamID)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .headers(.init(headers: fields, endStream: !sendBody)))), promise: nil)
        if sendBody {
            // The stored buffers as DATA frames, uncopied; the last one ends the stream.
            let tail = response.bodyTail.flatMap { $0.readableBytes > 0 ? $0 : nil }
            context.write(
                wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .data(.init(data: .byteBuffer(response.bodyHead), endStream: tail == nil)))),
                promise: nil
            )
            if let tail {
                context.write(
                    wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .data(.init(data: .byteBuffer(tail), endStream: true)))),
                    promise: nil
                )
            }
        }
        needsFlush = true
    }
}
