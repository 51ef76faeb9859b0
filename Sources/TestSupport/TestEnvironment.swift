import Foundation
import Logging
import Origin
import PostgresNIO
import Shared

/// Where the test services are: the database and Redis started by `deploy/dev services` (or CI), read from
/// `STOREFRONT_TEST_*` environment variables with the dev stack's defaults.
public enum TestEnvironment {
    static func value(_ name: String, _ fallback: String) -> String {
        ProcessInfo.processInfo.environment["STOREFRONT_TEST_\(name)"] ?? fallback
    }

    public static var primaryPort: Int { Int(value("PG_PRIMARY_PORT", "55432"))! }
    public static var replicaPort: Int { Int(value("PG_REPLICA_PORT", "55433"))! }
    public static var redisPort: Int { Int(value("REDIS_PORT", "56379"))! }
    public static var database: String { value("PG_DATABASE", "storefront_test") }

    /// The repository's root folder (for `deploy/` scripts).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// An origin configuration on the test database, listening on a free port.
    public static func originConfiguration() -> OriginConfiguration {
        var configuration = OriginConfiguration()
        configuration.port = 0
        configuration.adminPort = 0
        configuration.primary = .init(port: primaryPort, database: database)
        configuration.replica = .init(port: replicaPort, database: database)
        // Many origins run side by side in parallel tests: keep each one's pools small.
        configuration.primary.maximumConnections = 3
        configuration.replica.maximumConnections = 3
        configuration.internalToken = "test-internal-token"
        configuration.adminToken = "test-admin-token"
        configuration.redis.port = redisPort
        configuration.storefrontCacheTTL = .milliseconds(200)
        return configuration
    }

    /// A logger quiet enough for test output.
    public static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// A fresh tenant with a unique id and domain, so tests never collide.
    public static func uniqueTenant(name: String) -> Seeder.TenantSpec {
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        let id = TenantID("t-\(suffix)")!
        return Seeder.TenantSpec(
            id: id,
            name: name,
            domain: HostName(normalising: "\(id.rawValue).test")!,
            theme: Theme(name: name)
        )
    }
}
