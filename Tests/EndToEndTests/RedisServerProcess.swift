import Foundation
import RedisClient
import Synchronization
import TestSupport

/// A redis-server of the test's own on a free loopback port, stopped and started again by the test (the
/// shared Redis is never touched). While stopped, its port is held by a ``ClosedPort`` so that no other
/// test takes it and connections to it are refused.
final class RedisServerProcess: Sendable {
    let port: Int
    /// Whether it keeps its data across a restart (append-only file in a scratch directory).
    let persistent: Bool
    private let directory: URL
    private let state: Mutex<(process: RunningProcess?, held: ClosedPort?)>

    private init(port: Int, persistent: Bool, directory: URL, held: ClosedPort) {
        self.port = port
        self.persistent = persistent
        self.directory = directory
        self.state = Mutex((nil, held))
    }

    /// Starts a redis-server.
    /// - Parameter persistent: keep the data across ``stop()`` and ``start()`` (AOF, fsync always); if
    ///   `false`, a restart begins empty.
    static func start(persistent: Bool) async throws -> RedisServerProcess {
        let held = try ClosedPort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = RedisServerProcess(port: held.port, persistent: persistent, directory: directory, held: held)
        try await server.start()
        return server
    }

    /// Starts the server again on its port (after ``stop()``), and waits until it answers.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = [
            "--bind", "127.0.0.1", "--port", "\(port)", "--save", "", "--dir", directory.path,
            "--appendonly", persistent ? "yes" : "no", "--appendfsync", "always",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try state.withLock { state in
            state.held = nil  // frees the port for the server
            try process.run()
            state.process = RunningProcess(process: process)
        }
        let port = self.port
        do {
            try await waitUntil("redis-server on \(port) to answer", timeout: .seconds(10), pollEvery: .milliseconds(50)) {
                guard let connection = try? await RedisConnection.connect(host: "127.0.0.1", port: port) else { return false }
                defer { Task { await connection.close() } }
                return (try? await connection.send("PING"))?.string == "PONG"
            }
        } catch {
            // Never left running by a test that failed to start it (CI found three such servers afterwards).
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw error
        }
    }

    /// Stops the server (the `SHUTDOWN` command: a child of the test process inherits its blocked SIGTERM,
    /// so a signal would stay pending; SIGKILL if it does not answer) and waits for it to exit; its port then
    /// refuses connections.
    func stop() async throws {
        guard let running = state.withLock({ $0.process }) else { return }
        let process = running.process
        if let connection = try? await RedisConnection.connect(host: "127.0.0.1", port: port) {
            let command = persistent ? ["SHUTDOWN"] : ["SHUTDOWN", "NOSAVE"]
            _ = try? await connection.send(command.map { Array($0.utf8) })
            await connection.close()
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                running.process.waitUntilExit()
                continuation.resume()
            }
        }
        let held = try ClosedPort(port: port)
        state.withLock { state in
            state.process = nil
            state.held = held
        }
    }

    /// A started server process (Foundation's `Process` is not `Sendable`; this one is only terminated and
    /// waited for).
    private final class RunningProcess: @unchecked Sendable {
        let process: Process
        init(process: Process) { self.process = process }
    }

    /// Stops the server and removes its data.
    func remove() async {
        try? await stop()
        state.withLock { $0.held = nil }
        try? FileManager.default.removeItem(at: directory)
    }
}
