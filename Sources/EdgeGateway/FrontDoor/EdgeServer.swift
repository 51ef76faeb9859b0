import EdgeCore
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS
import ServiceLifecycle
import Shared
import Synchronization

/// The edge's public listeners: HTTPS (certificate chosen by SNI, HTTP/2 or HTTP/1.1 by ALPN) and plain HTTP
/// (redirects to HTTPS).
///
/// The SNI name is read from the ClientHello before any TLS work: a name that is no storefront's gets the
/// connection closed, never another tenant's certificate. The connection is then bound to that tenant, and
/// every request on it must carry a Host of the same tenant.
public final class EdgeServer: Sendable {
    /// The ports the listeners are bound to.
    public struct BoundPorts: Sendable {
        public var https: Int
        public var http: Int?

        public init(https: Int, http: Int?) {
            self.https = https
            self.http = http
        }
    }

    let runtime: EdgeRuntime
    private let group: any EventLoopGroup
    private let started = Mutex<Listeners?>(nil)
    /// Open connections of both public listeners, overall and per client address.
    let connections: ConnectionCap

    /// - Parameters:
    ///   - configuration: listeners, origins, cache budget.
    ///   - registry: the tenants and their certificates.
    ///   - group: the event loops (one per core in production).
    ///   - logger: the edge's logger.
    public init(
        configuration: EdgeConfiguration,
        registry: TenantRegistry,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws {
        var clientConfiguration = HTTP1Client.Configuration()
        clientConfiguration.maximumResponseBodySize = max(configuration.maximumStoredObjectSize, 64 * 1024 * 1024)
        let client = try HTTP1Client(group: group, configuration: clientConfiguration)
        let accessLog = try configuration.accessLog.map { try AccessLog(group: group, destination: $0) }
        let runtime = EdgeRuntime(configuration: configuration, registry: registry, client: client, accessLog: accessLog, logger: logger)
        self.runtime = runtime
        self.group = group
        self.connections = ConnectionCap(
            maximum: configuration.limits.maximumConnections,
            maximumPerAddress: configuration.limits.maximumConnectionsPerAddress
        )
        // Tenants' budget shares follow the directory.
        registry.observe { snapshot in
            for (tenant, settings) in snapshot.tenants { runtime.cache.setShare(settings.budgetShare, for: tenant) }
        }
    }

    /// Drains the started listeners (see ``Listeners/drain(timeout:)``); `false` if not started or timed out.
    @discardableResult
    public func drain(timeout: TimeAmount = .seconds(25)) async -> Bool {
        guard let listeners = started.withLock({ $0 }) else { return false }
        return await listeners.drain(timeout: timeout)
    }

    /// Records how long a purge event took from the origin's publish to being applied here.
    func recordPurgePropagation(seconds: Double) {
        runtime.metrics.recordPurgePropagation(seconds: seconds)
    }

    /// The origin instances misses go to (changeable at runtime).
    public var originPool: OriginPool { runtime.pool }

    /// The HTTP/1 client the edge reaches origins with (for health probes).
    public var originClient: HTTP1Client { runtime.client }

    /// How many objects of `tenant` the cache holds now.
    public func cachedObjects(of tenant: TenantID) -> Int {
        runtime.cache.tenantUsage[tenant]?.objects ?? 0
    }

    /// Requests waiting now on another request's origin fetch of the same object.
    public var coalescedWaiters: Int { runtime.coalescer.waiting }

    /// Purges every cached object of `tenant` carrying one of `tags` (purge tags of that tenant).
    /// - Parameter soft: mark stale (revalidated before next use, still usable within its stale windows)
    ///   instead of removing.
    /// - Returns: how many objects were purged.
    @discardableResult
    public func purge(tenant: TenantID, tags: [String], soft: Bool = false) -> Int {
        runtime.cache.purge(tenant: tenant, tags: tags, soft: soft, now: runtime.now())
    }

    /// Removes the cached objects (every variant) of `tenant` for a request target (path and query).
    @discardableResult
    public func purge(tenant: TenantID, target: String) -> Int {
        let normalized = RequestTarget(target, trackingParameters: runtime.configuration.trackingParameters).normalized
        return runtime.cache.purge(tenant: tenant, tags: [SurrogateKey.url(tenant, normalized).rawValue])
    }

    /// Binds the listeners. Returns the running listeners; close them with ``Listeners/close()``.
    public func start() async throws -> Listeners {
        let runtime = self.runtime
        let configuration = runtime.configuration
        let quiescing = ServerQuiescingHelper(group: group)
        let connections = self.connections
        let https = try await ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.admit(channel: channel) else {
                        // Over the cap: closed at once (no TLS yet, so no HTTP answer is possible).
                        runtime.logger.debug("connection refused: too many connections")
                        channel.close(promise: nil)
                        return
                    }
                    let limits = runtime.configuration.limits
                    try channel.pipeline.syncOperations.addHandler(QuiesceFlag())
                    try channel.pipeline.syncOperations.addHandler(
                        HandshakeDeadline(timeout: limits.handshakeTimeout, timeoutWhileDraining: limits.handshakeTimeoutWhileDraining)
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(SNIHandler { result in Self.sniResolved(result, channel: channel, runtime: runtime) })
                    )
                }
            }
            .bind(host: configuration.bindHost, port: configuration.httpsPort).get()
        let httpsPort = https.localAddress?.port ?? configuration.httpsPort
        var http: Channel?
        if let httpPort = configuration.httpPort {
            let publicPort = configuration.publicHTTPSPort ?? httpsPort
            http = try await ServerBootstrap(group: group)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    }
                }
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard connections.admit(channel: channel) else {
                            runtime.logger.debug("connection refused: too many connections")
                            try channel.pipeline.syncOperations.addHandler(ConnectionRefusal())
                            return
                        }
                        let limits = runtime.configuration.limits
                        let requestGuard = RequestGuard(limits: limits)
                        try channel.pipeline.syncOperations.addHandler(QuiesceFlag())
                        try channel.pipeline.syncOperations.addHandler(requestGuard)
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits.decoderLimits))
                        )
                        try channel.pipeline.syncOperations.addHandler(
                            EdgeHTTPHandler(plainListener: runtime, httpsPort: publicPort, requestGuard: requestGuard)
                        )
                    }
                }
                .bind(host: configuration.bindHost, port: httpPort).get()
        }
        runtime.logger.info(
            "edge listening",
            metadata: ["https": "\(httpsPort)", "http": "\(http?.localAddress?.port.map(String.init) ?? "off")"]
        )
        let listeners = Listeners(https: https, http: http, quiescing: quiescing, logger: runtime.logger)
        started.withLock { $0 = listeners }
        return listeners
    }

    private static func sniResolved(_ result: SNIResult, channel: Channel, runtime: EdgeRuntime) -> EventLoopFuture<Void> {
        guard case .hostname(let name) = result, let (tenant, sslContext) = runtime.registry.tlsContext(forServerName: name)
        else {
            // No SNI, or a name that is no storefront's: refuse before any TLS work.
            runtime.logger.debug("TLS connection refused: unknown server name")
            return channel.close()
        }
        do {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // ALPN: on HTTP/2 (HTTP2FrontDoor), fresh hits are answered on the connection (HTTP2HitHandler) and
        // every other stream gets a stream channel with the HTTP/2-to-HTTP/1 codec; HTTP/1.1 (and clients
        // without ALPN) get the edge's own byte-writing path behind NIO's request decoder.
        return channel.configureHTTP2SecureUpgrade(
            h2ChannelConfigurator: { connection in
                HTTP2FrontDoor.configure(connection: connection, runtime: runtime, tenant: tenant)
            },
            http1ChannelConfigurator: { connection in
                connection.eventLoop.makeCompletedFuture {
                    let limits = runtime.frontDoorLimits(for: tenant)
                    let requestGuard = RequestGuard(limits: limits)
                    try connection.pipeline.syncOperations.addHandler(requestGuard)
                    try connection.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits.decoderLimits))
                    )
                    try connection.pipeline.syncOperations.addHandler(
                        EdgeHTTPHandler(runtime: runtime, connectionTenant: tenant, rawHTTP1: true, requestGuard: requestGuard)
                    )
                    HandshakeDeadline.reachedHTTP(on: connection.pipeline)
                }
            }
        )
    }

    /// The bound listeners of a started server.
    public struct Listeners: Sendable {
        let https: Channel
        let http: Channel?
        let quiescing: ServerQuiescingHelper
        let logger: Logger

        /// The bound ports.
        public var ports: BoundPorts {
            BoundPorts(https: https.localAddress?.port ?? 0, http: http?.localAddress?.port)
        }

        /// Stops accepting connections (open connections are left alone; see ``drain(timeout:)``).
        public func close() async {
            try? await https.close()
            try? await http?.close()
        }

        /// Graceful shutdown: stop accepting, let every request in flight finish, close HTTP/1 keep-alive
        /// connections after their current response (`Connection: close`) or at once when idle, send HTTP/2
        /// clients GOAWAY and close when their streams are done. Returns when every connection is closed, or
        /// after `timeout` (connections still open then are cut).
        /// - Returns: whether every connection closed within the timeout.
        @discardableResult
        public func drain(timeout: TimeAmount = .seconds(25)) async -> Bool {
            let loop = https.eventLoop
            let done = loop.makePromise(of: Void.self)
            quiescing.initiateShutdown(promise: done)
            let timer = loop.scheduleTask(in: timeout) { done.fail(ChannelError.ioOnClosedChannel) }
            do {
                try await done.futureResult.get()
                timer.cancel()
                logger.info("edge drained")
                return true
            } catch {
                logger.warning("edge drain timed out; closing the remaining connections")
                return false
            }
        }
    }
}
