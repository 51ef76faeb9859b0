import Synchronization
import TestSupport
import Testing

@testable import Origin

/// `withDeadline` and `WriteAttempt`: pure, no database.
@Suite struct DeadlineTests {
    /// Work that ignores cancellation (a query on a connection that stopped answering) does not hold the
    /// caller past the deadline.
    @Test(.timeLimit(.minutes(1))) func returnsAtTheDeadlineWhenTheWorkIgnoresCancellation() async throws {
        let release = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100)) {
                // Never resumed before the deadline, and deaf to cancellation.
                await withCheckedContinuation { continuation in release.withLock { $0 = continuation } }
                return 1
            }
        }
        // Reaching this line at all is the point: the work is still waiting for its release below (the old
        // task-group version waited for it, so the test ran into its time limit). No bound on the time here:
        // a loaded machine may start the timer late.
        try await waitUntil("the work to have started") { release.withLock { $0 != nil } }
        release.withLock { $0?.resume() }
    }

    /// A tripwire that trips ends the wait at once, with its error.
    @Test func aTrippedTripwireEndsTheWait() async throws {
        let tripwire = Tripwire(error: ServerDown(server: "replica"))
        let waiting = Task {
            try await withDeadline(.seconds(60), abandoningWhen: tripwire) {
                try await Task.sleep(for: .seconds(60))
                return 1
            }
        }
        // Whether the work watches before or after the trip, it ends with the tripwire's error.
        tripwire.trip()
        await #expect(throws: ServerDown.self) { try await waiting.value }
        // Watching a tripped tripwire fails at once.
        await #expect(throws: ServerDown.self) {
            try await withDeadline(.seconds(60), abandoningWhen: tripwire) { 1 }
        }
    }

    /// Work faster than the deadline returns its value; its error stays its own.
    @Test func fastWorkReturnsItsResult() async throws {
        #expect(try await withDeadline(.seconds(10)) { 42 } == 42)
        struct Own: Error {}
        await #expect(throws: Own.self) { try await withDeadline(.seconds(10)) { () async throws -> Int in throw Own() } }
    }

    /// A write given up before its body ran never runs nor commits: "not written".
    @Test func writeGivenUpWhileWaitingNeverRuns() {
        var attempt = WriteAttempt()
        let outcome = attempt.abandon()
        let runs = attempt.bodyStarting()
        let commits = attempt.commitStarting()
        #expect(outcome == .notWritten)
        #expect(!runs)
        #expect(!commits)
    }

    /// A write given up while its statements run may not commit: "not written".
    @Test func writeGivenUpWhileRunningNeverCommits() {
        var attempt = WriteAttempt()
        let runs = attempt.bodyStarting()
        let outcome = attempt.abandon()
        let commits = attempt.commitStarting()
        #expect(runs)
        #expect(outcome == .notWritten)
        #expect(!commits)
    }

    /// A write given up while committing may stand: the caller cannot say it was not written.
    @Test func writeGivenUpWhileCommittingIsUnknown() {
        var attempt = WriteAttempt()
        let runs = attempt.bodyStarting()
        let commits = attempt.commitStarting()
        let outcome = attempt.abandon()
        #expect(runs && commits)
        #expect(outcome == .unknown)
        #expect(attempt.phase == .committing)
    }
}
