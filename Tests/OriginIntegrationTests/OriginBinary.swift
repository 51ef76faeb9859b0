import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// This build's `origin serve` as a child process on the test database (both listeners on ports the kernel
/// picks), for what only a process shows: signals and exiting.
final class OriginBinary: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let log: Log

    private init(process: Process, log: Log, port: Int) {
        self.process = process
        self.log = log
        self.port = port
    }

    /// Runs `body` with a started origin; the process is killed afterwards if it still runs.
    /// - Parameters:
    ///   - arguments: extra `serve` options (they override the defaults before them).
    ///   - body: receives the running origin.
    static func with<Result: Sendable>(
        _ arguments: [String] = [],
        _ body: @Sendable (OriginBinary) async throws -> Result
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("origin")
        process.arguments =
            [
                "serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0",
                "--primary-port", "\(TestEnvironment.primaryPort)", "--replica-port", "\(TestEnvironment.replicaPort)",
                "--pg-database", TestEnvironment.database, "--redis-port", "\(TestEnvironment.redisPort)",
                "--internal-token", "test-internal-token", "--admin-token", "test-admin-token",
            ] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "info"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let log = Log()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            log.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let port = try await storefrontPort(log: log, process: process)
        return try await body(OriginBinary(process: process, log: log, port: port))
    }

    /// Sends SIGTERM.
    func terminate() { process.terminate() }

    var isRunning: Bool { process.isRunning }

    /// What the process wrote so far.
    var output: String { log.text.withLock { $0 } }

    /// The storefront listener's port: of Hummingbird's two "listening on" lines, the one without `/metrics`.
    private static func storefrontPort(log: Log, process: Process) async throws -> Int {
        var ports: [Int] = []
        try await waitUntil("the origin's two listeners", timeout: .seconds(20), pollEvery: .milliseconds(50)) {
            guard process.isRunning else { throw Failure(description: "origin exited:\n\(log.text.withLock { $0 })") }
            ports = log.text.withLock { text in
                text.split(separator: "\n").compactMap { line in
                    guard let range = line.range(of: "listening on 127.0.0.1:") else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                }
            }
            return ports.count >= 2
        }
        let first = try await PlainHTTP.send(.GET, "/metrics", host: "127.0.0.1", port: ports[0])
        return first.head.status == .ok ? ports[1] : ports[0]
    }

    final class Log: Sendable {
        let text = Mutex("")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }
}
