import Logging
import NIOCore
import NIOHTTP1

/// On an HTTP/2 stream channel, before the HTTP/1-to-HTTP/2 codec: the last check that what goes out is
/// valid HTTP/2 (``HTTP2Fields``). Origin heads were cleaned when taken in
/// (``HeaderHygiene/cleanOriginResponse(_:)``); this catches trailers relayed from HTTP/1 origins and any
/// field added after that: values trimmed of optional whitespace, fields HTTP/2 forbids dropped with a log
/// line. A head with nothing to change passes untouched.
final class HTTP2ResponseFields: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where !Self.isClean(head.headers):
            head.headers = sanitized(head.headers)
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end(.some(let trailers)) where !Self.isClean(trailers):
            context.write(wrapOutboundOut(.end(sanitized(trailers))), promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    static func isClean(_ headers: HTTPHeaders) -> Bool {
        headers.allSatisfy { HTTP2Fields.isClean(name: $0.name.utf8, value: $0.value.utf8) }
    }

    private func sanitized(_ headers: HTTPHeaders) -> HTTPHeaders {
        var result = HTTPHeaders()
        result.reserveCapacity(headers.count)
        for (name, value) in headers {
            if HTTP2Fields.isConnectionSpecific(name.utf8) {
                log(name, .connectionSpecific, level: .debug)
            } else if let trimmed = HTTP2Fields.trimmed(value.utf8) {
                result.add(name: name, value: String(decoding: trimmed, as: UTF8.self))
            } else {
                log(name, .invalidValue, level: .warning)
            }
        }
        return result
    }

    private func log(_ name: String, _ refusal: HTTP2Fields.Refusal, level: Logger.Level) {
        logger.log(level: level, "HTTP/2 response field not sent", metadata: ["field": "\(name)", "reason": "\(refusal.rawValue)"])
    }
}
