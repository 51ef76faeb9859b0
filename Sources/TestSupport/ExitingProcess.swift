import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs an executable that is expected to exit on its own (a refusal to start), with a deadline: a process
/// still running when it passes is killed and the wait fails, so a test of a missing refusal fails instead
/// of hanging.
public enum ExitingProcess {
    /// How the process ended.
    public struct Exit: Sendable {
        public var status: Int32
        /// Its standard output and standard error, interleaved as written.
        public var output: String
    }

    /// Runs `executable` with `arguments` and `environment` added to this process's environment.
    /// - Throws: ``WaitTimedOut`` when it is still running after `timeout` (it is killed).
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(20)
    ) async throws -> Exit {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let log = Mutex("")
        let finished = Mutex(false)
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                finished.withLock { $0 = true }
            }
            log.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let name = URL(fileURLWithPath: executable).lastPathComponent
        try await waitUntil("\(name) to exit", timeout: timeout, pollEvery: .milliseconds(20)) { !process.isRunning }
        // The output pipe reaches its end once the process is gone (a short wait for the last bytes).
        try? await waitUntil("\(name)'s output to end", timeout: .seconds(2)) { finished.withLock { $0 } }
        return Exit(status: process.terminationStatus, output: log.withLock { $0 })
    }
}
