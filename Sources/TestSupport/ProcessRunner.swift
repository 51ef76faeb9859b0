import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// Runs a child process off Swift's cooperative thread pool (which has one thread per core: a test
/// blocking one of them on a child process stalls every other test of the run).
public enum ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: Data
        public var standardError: Data
    }

    /// Runs `executable` with `arguments` to completion, stdin from /dev/null.
    public static func run(_ executable: String, _ arguments: [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
                let output = Pipe()
                let errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                // Read stderr on another thread so neither pipe can fill up and block the child.
                let standardError = NIOLockedValueBox(Data())
                let group = DispatchGroup()
                group.enter()
                DispatchQueue.global().async {
                    let data = errors.fileHandleForReading.readDataToEndOfFile()
                    standardError.withLockedValue { $0 = data }
                    group.leave()
                }
                let standardOutput = output.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                continuation.resume(
                    returning: Output(
                        status: process.terminationStatus,
                        standardOutput: standardOutput,
                        standardError: standardError.withLockedValue { $0 }
                    )
                )
            }
        }
    }
}
