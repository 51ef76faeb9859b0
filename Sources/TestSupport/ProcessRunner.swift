import Foundation

/// Runs a child process to completion and collects what it wrote (a ``ChildProcess``: nothing blocks
/// a thread of Swift's cooperative pool while it runs).
public enum ProcessRunner {
    public struct Output: Sendable {
        /// The exit code, or 128 + the signal's number.
        public var status: Int32
        public var standardOutput: Data
        public var standardError: Data
    }

    /// Runs `executable` with `arguments` to completion, stdin from /dev/null.
    public static func run(_ executable: String, _ arguments: [String]) async throws -> Output {
        let child = try ChildProcess.start(executable, arguments, output: .separate)
        await child.finished()
        return Output(status: child.exitStatus ?? -1, standardOutput: child.outputData, standardError: child.errors)
    }
}
