/// A wait in a test that ran out of time, naming what it waited for.
public struct WaitTimedOut: Error, CustomStringConvertible {
    /// What the test waited for, in its own words ("the origin saw /slow").
    public let what: String
    /// How long it waited.
    public let timeout: Duration

    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}

/// Waits until `condition` holds, checking it every `pollEvery`, for at most `timeout`.
///
/// For state that changes asynchronously (a request reaching an origin, a connection closing, a background
/// refresh landing). A rule that depends on time passing (freshness, ejection) is tested on a
/// `ManualEdgeClock` instead, never by waiting.
///
/// ```swift
/// try await waitUntil("the origin saw /slow") { origin.requests.contains { $0.uri == "/slow" } }
/// ```
/// - Parameters:
///   - what: what is waited for; the error thrown when the deadline passes names it.
///   - timeout: the longest wait.
///   - pollEvery: the pause between two checks.
///   - condition: checked once at once, then after every pause.
/// - Throws: ``WaitTimedOut`` when `condition` still does not hold after `timeout`; whatever `condition`
///   throws; `CancellationError` when the task is cancelled.
public func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(10),
    pollEvery: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: pollEvery)
    }
}
