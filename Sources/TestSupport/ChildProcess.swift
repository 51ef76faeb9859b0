import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process for tests, started with `posix_spawn` and nothing else of the test process.
///
/// Foundation's `Process.run()` is not used: on Linux it scans `/proc/self/fd` and copies each entry's
/// 256-byte `d_name` whole, which reads past the end of glibc's directory buffer when the test process holds
/// enough descriptors (CI crashed there with SIGSEGV while ~1,350 were open). Here every descriptor above 2
/// is closed in the child by `posix_spawn_file_actions_addclosefrom_np`, and the child starts with an empty
/// signal mask and default dispositions (the test process blocks SIGTERM; a child that inherited that mask
/// would ignore `kill -TERM`). Its exit is reaped on a thread of its own; its output is read as it arrives
/// so that a pipe never fills and blocks it.
public final class ChildProcess: Sendable {
    /// Where the child's standard output and standard error go (standard input is always /dev/null).
    public enum Output: Sendable {
        /// Both to /dev/null.
        case discarded
        /// Both into one log, interleaved as written: ``output``.
        case merged
        /// Standard output into ``output``, standard error into ``errors``.
        case separate
    }

    /// How a child ended.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    public let pid: pid_t
    private let state = Mutex(State())

    private struct State {
        var termination: Termination?
        var output = Data()
        var errors = Data()
        var openPipes = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `executable` with `arguments`; `environment` is added to this process's environment.
    /// - Throws: ``SpawnFailed`` when the executable cannot be started.
    public static func start(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        output: Output = .merged
    ) throws -> ChildProcess {
        guard access(executable, X_OK) == 0 else { throw SpawnFailed(executable: executable, errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipes: [(read: Int32, write: Int32)] = []
        defer { for pipe in pipes { close(pipe.write) } }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .discarded:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .merged:
            pipes.append(try makePipe())
            posix_spawn_file_actions_adddup2(&actions, pipes[0].write, 1)
            posix_spawn_file_actions_adddup2(&actions, pipes[0].write, 2)
        case .separate:
            pipes.append(try makePipe())
            pipes.append(try makePipe())
            posix_spawn_file_actions_adddup2(&actions, pipes[0].write, 1)
            posix_spawn_file_actions_adddup2(&actions, pipes[1].write, 2)
        }
        guard addCloseFrom(&actions, 3) == 0 else { throw SpawnFailed(executable: executable, errno: ENOSYS) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = merged.map { strdup("\($0)=\($1)") } + [nil]
        defer { for entry in envp { free(entry) } }

        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            for pipe in pipes { close(pipe.read) }
            throw SpawnFailed(executable: executable, errno: spawned)
        }
        let child = ChildProcess(pid: pid)
        child.state.withLock { $0.openPipes = pipes.count }
        for (index, pipe) in pipes.enumerated() {
            child.readUntilEnd(pipe.read, intoErrors: index == 1)
        }
        child.reapWhenExited()
        return child
    }

    /// `nil` while it runs.
    public var termination: Termination? { state.withLock { $0.termination } }

    public var isRunning: Bool { termination == nil }

    /// Whether every output pipe has reached its end (the child and anything it started closed them).
    public var outputEnded: Bool { state.withLock { $0.openPipes == 0 } }

    /// The exit code, or 128 + the signal's number (as a shell reports it); `nil` while it runs.
    public var exitStatus: Int32? {
        switch termination {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        case nil: nil
        }
    }

    /// Standard output (or both streams, ``Output/merged``) so far, as text.
    public var output: String { String(decoding: state.withLock { $0.output }, as: UTF8.self) }

    /// Standard output (or both streams) so far, as bytes.
    public var outputData: Data { state.withLock { $0.output } }

    /// Standard error so far (``Output/separate`` only).
    public var errors: Data { state.withLock { $0.errors } }

    /// Sends `signal` to the child unless it has been reaped.
    public func signal(_ signal: Int32) {
        state.withLock { state in
            if state.termination == nil { _ = Glibc.kill(pid, signal) }
        }
    }

    /// SIGKILL if it still runs (cleanup after a failed test).
    public func kill() { signal(SIGKILL) }

    /// Waits until the child has exited and its output pipes have reached their end.
    @discardableResult
    public func finished() async -> Termination {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.termination != nil && state.openPipes == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        return termination!
    }

    /// Waits until the child has exited, at most `timeout`; `nil` if it still runs then.
    public func waitForExit(timeout: Duration) async -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return termination
    }

    private func readUntilEnd(_ descriptor: Int32, intoErrors: Bool) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                state.withLock { state in
                    if intoErrors {
                        state.errors.append(contentsOf: buffer[0..<count])
                    } else {
                        state.output.append(contentsOf: buffer[0..<count])
                    }
                }
            }
            close(descriptor)
            update { $0.openPipes -= 1 }
        }
        thread.start()
    }

    /// Waits for the exit without reaping (`WNOWAIT`), then reaps under the lock that ``signal(_:)`` takes:
    /// a signal never reaches a pid the kernel may already have given to another process.
    private func reapWhenExited() {
        let thread = Thread { [self] in
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            update { state in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let signal = status & 0x7f
                state.termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
            }
        }
        thread.start()
    }

    /// Applies `change`, then resumes the waiters of ``finished()`` if the child is now finished.
    private func update(_ change: (inout State) -> Void) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            change(&state)
            guard state.termination != nil && state.openPipes == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in ready { waiter.resume() }
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        // Close-on-exec for whatever else this process starts (Swift's Glibc module has no `pipe2`); the
        // children started here close everything above 2 anyway.
        guard pipe(&descriptors) == 0 else { throw SpawnFailed(executable: "pipe", errno: errno) }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time: Swift's Glibc module
    /// does not declare it (it needs `_GNU_SOURCE`).
    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ first: Int32) -> Int32 {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return -1
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, first)
    }

    public struct SpawnFailed: Error, CustomStringConvertible {
        public var executable: String
        public var errno: Int32
        public var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
    }
}
