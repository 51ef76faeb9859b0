/// One unit of work racing its deadline: may work that reaches the server late still run, and what can the
/// caller who stopped waiting be told. A pure decision; ``LeaseHolder`` keeps one per unit of work.
///
/// The guarantee it gives: once the caller has been told "not written", the transaction's body never runs
/// and never commits. The body asks ``bodyStarting()`` before its first statement and ``commitStarting()``
/// before the commit; a caller that gives up calls ``abandon()``. Only a commit already under way when the
/// caller gave up leaves the outcome ``Outcome/unknown`` (a retry with the same idempotency key finds out).
struct WriteAttempt: Sendable, Equatable {
    /// Where the unit of work is.
    enum Phase: Sendable, Equatable {
        /// Waiting for a connection, or for `BEGIN`.
        case waiting
        /// Its statements are running.
        case running
        /// `COMMIT` is on its way: the write may stand.
        case committing
        /// Its caller gave up before the commit: it must not run or commit.
        case abandoned
    }

    /// What a caller who gave up may say about the write.
    enum Outcome: Sendable, Equatable {
        /// Nothing was or ever will be written.
        case notWritten
        /// The commit was under way: the write may or may not stand.
        case unknown
    }

    /// Thrown inside the transaction when its caller gave up, so that it rolls back.
    struct GivenUp: Error {}

    private(set) var phase = Phase.waiting

    /// The body is about to run its first statement. Returns whether it may (its caller still waits).
    mutating func bodyStarting() -> Bool {
        guard phase == .waiting else { return false }
        phase = .running
        return true
    }

    /// The body is done and the transaction is about to commit. Returns whether it may.
    mutating func commitStarting() -> Bool {
        guard phase == .running else { return false }
        phase = .committing
        return true
    }

    /// The caller stops waiting. Returns what it can tell its client.
    mutating func abandon() -> Outcome {
        switch phase {
        case .waiting, .running, .abandoned:
            phase = .abandoned
            return .notWritten
        case .committing:
            return .unknown
        }
    }
}
