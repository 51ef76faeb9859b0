import EdgeGateway
import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// This build's `origin` executable as a child process on the test database, both listeners on ports the
/// kernel picks. Its `/metrics` counts its own requests only: an origin inside the test process would share
/// the process-wide metrics system with every other test's origins.
final class OriginProcess: @unchecked Sendable {
    let port: Int
    let adminPort: Int
    private let process: Process

    private init(process: Process, port: Int, adminPort: Int) {
        self.process = process
        self.port = port
        self.adminPort = adminPort
    }

    var endpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: port) }
    var adminEndpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: adminPort) }

    /// Runs `body` with a started origin; the process is stopped afterwards, whatever happened.
    static func with<Result: Sendable>(_ body: @Sendable (OriginProcess) async throws -> Result) async throws -> Result {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = [
            "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
            "--primary-port", "\(TestEnvironment.primaryPort)", "--replica-port", "\(TestEnvironment.replicaPort)",
            "--pg-database", TestEnvironment.database, "--redis-port", "\(TestEnvironment.redisPort)",
            "--internal-token", "test-internal-token", "--admin-token", "test-admin-token",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "info"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let log = Log()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }  // end of file: the child exited
            log.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        do {
            let (port, adminPort) = try await listeningPorts(log: log, process: process)
            let origin = OriginProcess(process: process, port: port, adminPort: adminPort)
            let result = try await body(origin)
            await stop(process)
            return result
        } catch {
            await stop(process)
            throw error
        }
    }

    /// The executable next to the test bundle (`swift build --build-tests` builds it).
    private static func executable() throws -> URL {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("origin")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw Failure("no origin executable at \(url.path): run `swift build --build-tests` first")
        }
        return url
    }

    /// The two ports from Hummingbird's "listening on" lines; the one whose `/metrics` answers is the admin
    /// listener (the storefront listener has no such route).
    private static func listeningPorts(log: Log, process: Process) async throws -> (Int, Int) {
        let deadline = ContinuousClock.now + .seconds(20)
        var ports: [Int] = []
        while ports.count < 2 {
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw Failure("origin did not report two listeners within 20 s; its output:\n\(log.text.withLock { $0 })")
            }
            try await Task.sleep(for: .milliseconds(50))
            ports = log.text.withLock { text in
                text.split(separator: "\n").compactMap { line in
                    guard let range = line.range(of: "listening on 127.0.0.1:") else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                }
            }
        }
        let first = try await PlainHTTP.send(.GET, "/metrics", host: "127.0.0.1", port: ports[0])
        return first.head.status == .ok ? (ports[1], ports[0]) : (ports[0], ports[1])
    }

    /// SIGTERM, then SIGKILL if it has not exited within ten seconds.
    private static func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// What the child wrote (stdout and stderr), read as it arrives so that its pipe never fills.
    final class Log: Sendable {
        let text = Mutex("")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
