import EdgeGateway
import NIOCore
import NIOHTTP1
import NIOPosix

/// Plain HTTP/1.1 requests to a loopback server (an origin), with any Host and body.
public enum PlainHTTP {
    /// Sends one request to `127.0.0.1:port`.
    public static func send(
        _ method: HTTPMethod = .GET,
        _ path: String,
        host: String,
        port: Int,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> HTTPClientResponse {
        let client = try HTTP1Client(group: MultiThreadedEventLoopGroup.singleton)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "host", value: host)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if body != nil, !head.headers.contains(name: "content-type") {
            head.headers.add(name: "content-type", value: "application/json")
        }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return try await client.execute(
            head,
            body: body.map { ByteBuffer(string: $0) },
            to: HTTPEndpoint(host: "127.0.0.1", port: port),
            on: loop,
            deadline: .now() + .seconds(10)
        ).get()
    }
}
