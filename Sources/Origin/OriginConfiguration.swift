import Logging
import PostgresNIO
import RedisClient

/// Everything an origin instance needs to run. Defaults suit the local dev stack.
public struct OriginConfiguration: Sendable {
    /// Where one PostgreSQL server is.
    public struct Database: Sendable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        public var maximumConnections = 16
        /// The longest wait for a new connection and its handshake. Short: a pool that is connecting to a
        /// server that does not answer cannot shut down before the attempt ends (PostgresNIO's default is 10 s).
        public var connectTimeout: Duration = .seconds(3)

        public init(
            host: String = "127.0.0.1",
            port: Int,
            username: String = "storefront_app",
            password: String? = nil,
            database: String = "storefront"
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
        }

        /// The PostgresNIO client configuration for this server.
        public func clientConfiguration() -> PostgresClient.Configuration {
            var configuration = PostgresClient.Configuration(
                host: host,
                port: port,
                username: username,
                password: password,
                database: database,
                tls: .disable
            )
            configuration.options.maximumConnections = maximumConnections
            configuration.options.connectionIdleTimeout = .seconds(60)
            configuration.options.connectTimeout = connectTimeout
            return configuration
        }

        /// A single connection's configuration for this server (the replica monitor's own connections).
        /// - Parameter connectTimeout: the longest wait for the connection and its handshake.
        public func connectionConfiguration(connectTimeout: Duration) -> PostgresConnection.Configuration {
            var configuration = PostgresConnection.Configuration(
                host: host,
                port: port,
                username: username,
                password: password,
                database: database,
                tls: .disable
            )
            configuration.options.connectTimeout = .nanoseconds(Int64(connectTimeout / .nanoseconds(1)))
            return configuration
        }
    }

    /// The HTTP listener's address.
    public var host = "127.0.0.1"
    /// The HTTP listener's port (0 picks a free one).
    public var port = 8081
    /// The primary: every write goes here.
    public var primary = Database(port: 55432)
    /// The streaming replica: reads go here.
    public var replica = Database(port: 55433)
    /// The primary as the schema owner (migrations, seeding, adding tenants), never used to serve requests.
    public var schemaOwner = Database(port: 55432, username: "storefront")
    /// Whether ``OriginAssembly/run(configuration:logger:)`` applies pending migrations before serving.
    public var migrateOnStart = false
    /// The internal listener's port: `/metrics`, `/health`, the edges' tenant list (`/internal/tenants`) and
    /// the platform routes (`/admin/tenants…`). No edge forwards to it; expose it to the edges and the
    /// platform's operators only. 0 picks a free one.
    public var adminPort = 9181
    /// The internal listener's address; `nil` binds ``host``.
    public var adminHost: String?
    /// Read routing and deadlines: read-your-writes window, replica timeout, primary (write) timeout.
    public var routing = TenantDatabase.Routing()
    /// How long a graceful shutdown (SIGTERM) may take: requests in flight finish within it, then whatever
    /// still runs is cancelled and the process ends. Keep it below the orchestrator's kill grace period.
    public var drainTime: Duration = .seconds(10)
    /// Replica lag bounds and probe interval.
    public var replicaMonitor = ReplicaMonitor.Configuration()
    /// Redis: the origin cache and the event bus.
    /// Short timeouts: a slow Redis must cost a request little before it falls back to PostgreSQL.
    public var redis: RedisClient.Configuration = {
        var redis = RedisClient.Configuration(host: "127.0.0.1", port: 56379)
        redis.connectTimeout = .milliseconds(200)
        redis.commandTimeout = .milliseconds(100)
        return redis
    }()
    /// The platform admin token (`Authorization: Bearer …`) for `/admin/tenants`.
    public var adminToken = "dev-admin-token"
    /// The token the edge presents on internal APIs (`x-internal-token`).
    public var internalToken = "dev-internal-token"
    /// How long a Host → storefront resolution is remembered.
    public var storefrontCacheTTL: Duration = .seconds(5)
    /// `s-maxage` of product pages: how long edges may keep them.
    public var productSharedMaxAge = 300
    /// `max-age` of product pages: how long browsers may keep them.
    public var productMaxAge = 30

    public init() {}
}
