import EdgeGateway
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// This build's `origin serve` as a child process on the test database, both listeners on ports the kernel
/// picks: for what only a process shows (signals, exiting, refusing to start) and for metrics of its own
/// (an origin inside the test process shares the process-wide metrics system with every other test's).
public final class OriginProcess: Sendable {
    public let port: Int
    public let adminPort: Int
    private let child: ChildProcess

    private init(child: ChildProcess, port: Int, adminPort: Int) {
        self.child = child
        self.port = port
        self.adminPort = adminPort
    }

    public var endpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: port) }
    public var adminEndpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: adminPort) }

    /// Runs `body` with a started origin; afterwards the process is stopped (SIGTERM, SIGKILL after ten
    /// seconds) if it still runs, whatever happened.
    /// - Parameters:
    ///   - arguments: extra `serve` options (they override the defaults before them).
    ///   - body: receives the running origin.
    public static func with<Result: Sendable>(
        _ arguments: [String] = [],
        _ body: @Sendable (OriginProcess) async throws -> Result
    ) async throws -> Result {
        let child = try ChildProcess.start(
            try executable(),
            [
                "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
                "--primary-port", "\(TestEnvironment.primaryPort)", "--replica-port", "\(TestEnvironment.replicaPort)",
                "--pg-database", TestEnvironment.database, "--redis-port", "\(TestEnvironment.redisPort)",
                "--internal-token", "test-internal-token", "--admin-token", "test-admin-token",
            ] + arguments,
            environment: ["LOG_LEVEL": "info"]
        )
        do {
            let (port, adminPort) = try await listeningPorts(child)
            let result = try await body(OriginProcess(child: child, port: port, adminPort: adminPort))
            await stop(child)
            return result
        } catch {
            await stop(child)
            throw error
        }
    }

    /// Sends SIGTERM.
    public func terminate() { child.signal(SIGTERM) }

    public var isRunning: Bool { child.isRunning }

    /// What the process wrote so far (stdout and stderr).
    public var output: String { child.output }

    /// The executable next to the test bundle (`swift build --build-tests` builds it).
    private static func executable() throws -> String {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("origin")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw Failure("no origin executable at \(url.path): run `swift build --build-tests` first")
        }
        return url.path
    }

    /// The two ports from Hummingbird's "listening on" lines; the one whose `/metrics` answers is the admin
    /// listener (the storefront listener has no such route).
    private static func listeningPorts(_ child: ChildProcess) async throws -> (Int, Int) {
        var ports: [Int] = []
        try await waitUntil("the origin's two listeners", timeout: .seconds(20), pollEvery: .milliseconds(50)) {
            guard child.isRunning else { throw Failure("origin exited; its output:\n\(child.output)") }
            ports = child.output.split(separator: "\n").compactMap { line in
                guard let range = line.range(of: "listening on 127.0.0.1:") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            return ports.count >= 2
        }
        let first = try await PlainHTTP.send(.GET, "/metrics", host: "127.0.0.1", port: ports[0])
        return first.head.status == .ok ? (ports[1], ports[0]) : (ports[0], ports[1])
    }

    /// SIGTERM, then SIGKILL if it has not exited within ten seconds.
    private static func stop(_ child: ChildProcess) async {
        guard child.isRunning else { return }
        child.signal(SIGTERM)
        if await child.waitForExit(timeout: .seconds(10)) == nil { child.kill() }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
