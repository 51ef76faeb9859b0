import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// The plain HTTP listener: `308 Permanent Redirect` to the same URL over HTTPS for known storefronts,
/// `421` for any other host.
final class RedirectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: TenantRegistry
    private let httpsPort: Int

    init(registry: TenantRegistry, httpsPort: Int) {
        self.registry = registry
        self.httpsPort = httpsPort
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let resolver = TenantResolver(snapshot: registry.snapshot)
        var head = HTTPResponseHead(version: request.version, status: .permanentRedirect)
        var message = ""
        switch resolver.resolve(connectionTenant: nil, hostValues: request.headers["host"]) {
        case .tenant(_, let host):
            let port = httpsPort == 443 ? "" : ":\(httpsPort)"
            let target = request.uri.hasPrefix("/") ? request.uri : "/"
            let rawHost = request.headers.first(name: "host").map { String($0.prefix(while: { $0 != ":" })) }
            let location = "https://\((rawHost?.lowercased()).flatMap { HostName(normalising: $0) == host ? $0 : nil } ?? host.rawValue)\(port)\(target)"
            head.headers.add(name: "location", value: location)
            message = "moved to \(location)"
        case .misdirected:
            head.status = .misdirectedRequest
            message = "unknown host"
        case .badRequest(let reason):
            head.status = .badRequest
            message = reason
        }
        let body = context.channel.allocator.buffer(string: message + "\n")
        head.headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        head.headers.add(name: "content-length", value: String(body.readableBytes))
        head.headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
