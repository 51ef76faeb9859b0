import EdgeGateway
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A client that talks to the edge as a browser would: TLS with a chosen SNI name, verified against the
/// test CA, and any Host header.
public struct HTTPSTestClient: Sendable {
    private let client: HTTP1Client
    private let caPath: String
    private let group: any EventLoopGroup

    /// - Parameter caPath: the CA that issued the storefront certificates.
    public init(caPath: String) throws {
        group = MultiThreadedEventLoopGroup.singleton
        var configuration = HTTP1Client.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        tls.certificateVerification = .fullVerification
        tls.applicationProtocols = ["http/1.1"]
        configuration.tls = tls
        client = try HTTP1Client(group: group, configuration: configuration)
        self.caPath = caPath
    }

    /// Sends a request over TLS.
    /// - Parameters:
    ///   - path: the request target.
    ///   - port: the edge's HTTPS port.
    ///   - serverName: the SNI name (and the name the certificate must be valid for).
    ///   - host: the Host header; defaults to the SNI name.
    ///   - method: the method.
    ///   - headers: more request headers.
    ///   - body: a JSON body, if any.
    public func request(
        _ path: String,
        port: Int,
        serverName: String,
        host: String? = nil,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> HTTPClientResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "host", value: host ?? serverName)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if body != nil, !head.headers.contains(name: "content-type") {
            head.headers.add(name: "content-type", value: "application/json")
        }
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port, tlsServerName: serverName)
        let loop = group.next()
        return try await client.execute(
            head,
            body: body.map { ByteBuffer(string: $0) },
            to: endpoint,
            on: loop,
            deadline: .now() + .seconds(10)
        ).get()
    }

    /// The DER bytes of the certificate the server presents for `serverName`.
    public func peerCertificate(port: Int, serverName: String) async throws -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: serverName)
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { channel.close(promise: nil) }
        let handler = try await channel.pipeline.handler(type: NIOSSLClientHandler.self).get()
        // The handshake completes shortly after connect; ask until the peer certificate is there.
        for _ in 0..<200 {
            let certificate = try await channel.eventLoop.submit { handler.peerCertificate }.get()
            if let certificate { return try certificate.toDERBytes() }
            if !channel.isActive { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HandshakeError.noPeerCertificate
    }

    public enum HandshakeError: Error { case noPeerCertificate }
}

extension HTTPClientResponse {
    /// The body as UTF-8 text.
    public var text: String { String(buffer: body) }
}
