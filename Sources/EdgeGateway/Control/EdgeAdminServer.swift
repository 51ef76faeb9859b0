import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Shared

/// The edge's admin listener, on its own port (never one of the public ones): `GET /health`,
/// `GET /metrics` (Prometheus text) and an authenticated purge API.
///
/// `POST /purge` with `Authorization: Bearer <admin token>` and a JSON body naming one tenant and what to
/// purge: `{"tenant": "alpine", "tags": ["tenant:alpine:product:42"]}`, `{"tenant": "alpine", "url":
/// "/products/x"}` or `{"tenant": "alpine", "all": true}`, with `"soft": true` to mark stale instead of
/// removing (tags and all). Answers `{"purged": <objects>}`.
public enum EdgeAdminServer {
    struct PurgeRequest: Decodable {
        var tenant: TenantID
        var tags: [String]?
        var url: String?
        var all: Bool?
        var soft: Bool?
    }

    /// Binds the admin listener.
    /// - Parameters:
    ///   - host: the address to bind (keep it private).
    ///   - port: the port (0 picks a free one).
    ///   - token: the bearer token purges need.
    ///   - server: the edge whose cache is purged.
    ///   - logger: where purges are logged.
    public static func start(host: String, port: Int, token: String, server: EdgeServer, logger: Logger) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(token: token, server: server, logger: logger))
                }
            }
            .bind(host: host, port: port).get()
    }

    /// Answers one purge request body; returns status and JSON body.
    static func purge(body: ByteBuffer, server: EdgeServer) -> (HTTPResponseStatus, String) {
        guard let request = try? JSONDecoder().decode(PurgeRequest.self, from: Data(body.readableBytesView)) else {
            return (.badRequest, #"{"error":"body must be {\"tenant\": …, and one of \"tags\", \"url\", \"all\"}"}"#)
        }
        let purged: Int
        if request.all == true {
            purged = server.purge(tenant: request.tenant, tags: [SurrogateKey.tenant(request.tenant).rawValue], soft: request.soft ?? false)
        } else if let tags = request.tags {
            // Tags of other tenants are dropped: a purge never leaves its tenant.
            let own = SurrogateKey.parse(tags.joined(separator: " "), for: request.tenant).map(\.rawValue)
            purged = server.purge(tenant: request.tenant, tags: own, soft: request.soft ?? false)
        } else if let url = request.url, url.hasPrefix("/") {
            purged = server.purge(tenant: request.tenant, target: url)
        } else {
            return (.badRequest, #"{"error":"name \"tags\", \"url\" (a path) or \"all\""}"#)
        }
        return (.ok, #"{"purged":\#(purged)}"#)
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let token: String
        let server: EdgeServer
        let logger: Logger
        var head: HTTPRequestHead?
        var body = ByteBuffer()
        var tooLarge = false

        init(token: String, server: EdgeServer, logger: Logger) {
            self.token = token
            self.server = server
            self.logger = logger
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
                tooLarge = false
            case .body(var part):
                if body.readableBytes + part.readableBytes > 64 * 1024 { tooLarge = true } else { body.writeBuffer(&part) }
            case .end:
                guard let head else { return }
                let (status, text) = answer(head)
                respond(context: context, version: head.version, status: status, body: text, keepAlive: head.isKeepAlive)
            }
        }

        private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
            switch (head.method, head.uri) {
            case (.GET, "/health"):
                return (.ok, #"{"status":"ok"}"#)
            case (.GET, "/metrics"):
                return (.ok, server.metricsText())
            case (.POST, "/purge"):
                let expected = "Bearer \(token)"
                guard let given = head.headers.first(name: "authorization"), HTTPComparisons.constantTimeEquals(given, expected)
                else { return (.unauthorized, #"{"error":"admin token required"}"#) }
                guard !tooLarge else { return (.payloadTooLarge, #"{"error":"body too large"}"#) }
                let result = EdgeAdminServer.purge(body: body, server: server)
                logger.info("purge via admin API", metadata: ["status": "\(result.0.code)", "result": "\(result.1)"])
                return result
            default:
                return (.notFound, #"{"error":"not found"}"#)
            }
        }

        private func respond(context: ChannelHandlerContext, version: HTTPVersion, status: HTTPResponseStatus, body text: String, keepAlive: Bool) {
            let buffer = context.channel.allocator.buffer(string: text)
            var head = HTTPResponseHead(version: version, status: status)
            head.headers.add(name: "content-type", value: text.hasPrefix("{") ? "application/json" : "text/plain; version=0.0.4")
            head.headers.add(name: "content-length", value: String(buffer.readableBytes))
            if !keepAlive { head.headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        }
    }
}
