import Foundation

/// Runs an executable that is expected to exit on its own (a refusal to start), with a deadline: a process
/// still running when it passes is killed and the wait fails, so a test of a missing refusal fails instead
/// of hanging.
public enum ExitingProcess {
    /// How the process ended.
    public struct Exit: Sendable {
        /// The exit code, or 128 + the signal's number.
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
        let child = try ChildProcess.start(executable, arguments, environment: environment, output: .merged)
        defer { child.kill() }
        let name = URL(fileURLWithPath: executable).lastPathComponent
        try await waitUntil("\(name) to exit", timeout: timeout, pollEvery: .milliseconds(20)) { !child.isRunning }
        // The output pipe reaches its end once the process is gone (a short wait for the last bytes).
        try? await waitUntil("\(name)'s output to end", timeout: .seconds(2)) { child.outputEnded }
        return Exit(status: child.exitStatus ?? -1, output: child.output)
    }
}
