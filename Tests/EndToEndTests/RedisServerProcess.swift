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
    private let state: Mutex<(process: ChildProcess?, held: ClosedPort?)>

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
        let arguments = [
            "--bind", "127.0.0.1", "--port", "\(port)", "--save", "", "--dir", directory.path,
            "--appendonly", persistent ? "yes" : "no", "--appendfsync", "always",
        ]
        let process = try state.withLock { state in
            state.held = nil  // frees the port for the server
            let process = try ChildProcess.start("/usr/bin/redis-server", arguments, output: .discarded)
            state.process = process
            return process
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
            process.kill()
            throw error
        }
    }

    /// Stops the server (the `SHUTDOWN` command, so that a persistent one writes its file; SIGKILL if it
    /// does not answer) and waits for it to exit; its port then refuses connections.
    func stop() async throws {
        guard let process = state.withLock({ $0.process }) else { return }
        if let connection = try? await RedisConnection.connect(host: "127.0.0.1", port: port) {
            let command = persistent ? ["SHUTDOWN"] : ["SHUTDOWN", "NOSAVE"]
            _ = try? await connection.send(command.map { Array($0.utf8) })
            await connection.close()
        }
        if await process.waitForExit(timeout: .seconds(5)) == nil { process.kill() }
        await process.finished()
        let held = try ClosedPort(port: port)
        state.withLock { state in
            state.process = nil
            state.held = held
        }
    }

    /// Stops the server and removes its data.
    func remove() async {
        try? await stop()
        state.withLock { $0.held = nil }
        try? FileManager.default.removeItem(at: directory)
    }
}
