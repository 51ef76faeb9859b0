import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The tests' own child-process starter (Foundation's `Process.run()` crashed CI with SIGSEGV while the test
/// process held ~1,350 descriptors): a child inherits only its three standard streams, whatever the test
/// process holds, and answers SIGTERM although the test process blocks it.
@Suite struct ChildProcessTests {
    @Test func aChildInheritsOnlyItsStandardStreamsWhileManyDescriptorsAreOpen() async throws {
        var held: [Int32] = []
        defer { for descriptor in held { close(descriptor) } }
        for _ in 0..<1500 {
            let descriptor = open("/dev/null", O_RDONLY)  // not close-on-exec: only the spawn can keep it out
            try #require(descriptor >= 0, "open /dev/null: errno \(errno)")
            held.append(descriptor)
        }
        // The shell's own descriptor for the directory listing shows up too: count what is not 0, 1, 2 or it.
        for _ in 0..<20 {
            let run = try await ProcessRunner.run("/bin/ls", ["/proc/self/fd"])
            let listed = String(decoding: run.standardOutput, as: UTF8.self).split(separator: "\n").compactMap { Int($0) }
            #expect(run.status == 0)
            #expect(listed.filter { $0 > 2 }.count <= 1, "inherited: \(listed.count) descriptors")
        }
    }

    @Test func outputAndErrorsAreKeptApartOrMerged() async throws {
        let separate = try await ProcessRunner.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(separate.status == 3)
        #expect(String(decoding: separate.standardOutput, as: UTF8.self) == "out\n")
        #expect(String(decoding: separate.standardError, as: UTF8.self) == "err\n")

        let merged = try ChildProcess.start("/bin/sh", ["-c", "echo out; echo err >&2"], environment: ["GREETING": "hi"])
        #expect(await merged.finished() == .exited(0))
        #expect(merged.output == "out\nerr\n")
    }

    @Test func theEnvironmentIsAddedToThisProcesss() async throws {
        let child = try ChildProcess.start("/bin/sh", ["-c", "echo \"$GREETING $HOME\""], environment: ["GREETING": "hi"])
        await child.finished()
        #expect(child.output == "hi \(ProcessInfo.processInfo.environment["HOME"] ?? "")\n")
    }

    @Test func sigtermEndsAChildWithDefaultDispositions() async throws {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)  // as a test process may have it; the child must not inherit it
        let child = try ChildProcess.start("/bin/sleep", ["30"], output: .discarded)
        defer { child.kill() }
        try await waitUntil("sleep to have started") { FileManager.default.fileExists(atPath: "/proc/\(child.pid)") }
        child.signal(SIGTERM)
        #expect(await child.waitForExit(timeout: .seconds(10)) == .signalled(SIGTERM))
        #expect(child.exitStatus == 128 + SIGTERM)
    }

    @Test func aMissingExecutableIsAClearError() {
        #expect(throws: ChildProcess.SpawnFailed.self) { try ChildProcess.start("/nonexistent/tool", []) }
    }
}
