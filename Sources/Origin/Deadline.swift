import Synchronization

/// Thrown by ``withDeadline(_:abandoningWhen:_:)`` when the limit passed first.
struct DeadlineExceeded: Error {}

/// Runs `operation` and returns its result, or throws ``DeadlineExceeded`` as soon as `limit` has passed, or
/// the tripwire's error as soon as `tripwire` trips (the server the work waits on is known down).
///
/// It returns at the deadline even when `operation` ignores cancellation (a query on a connection that
/// stopped answering, a pool lease): the operation is cancelled and left to end on its own; its result is
/// dropped. A task group could not do that, since a group waits for every child before it returns. Work that
/// must not take effect once abandoned checks for it itself (see ``WriteAttempt``).
/// - Parameters:
///   - limit: the longest wait.
///   - tripwire: ends the wait early when it trips.
///   - operation: the work; it runs in a new task with the caller's task-local values.
func withDeadline<Result: Sendable>(
    _ limit: Duration,
    abandoningWhen tripwire: Tripwire? = nil,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = Race<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.begin(continuation)
            let work = Task {
                do {
                    race.finish(.success(try await operation()))
                } catch {
                    race.finish(.failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                race.finish(.failure(DeadlineExceeded()))
            }
            let watch = tripwire?.watch { error in race.finish(.failure(error)) }
            race.whenFinished {
                work.cancel()
                timer.cancel()
                if let watch { tripwire?.unwatch(watch) }
            }
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of several outcomes wins; the others are dropped.
private final class Race<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var outcome: Swift.Result<Value, any Error>?
        var cleanup: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Records where the winner goes; resumes at once if an outcome came first (a cancellation).
    func begin(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLock { state -> Swift.Result<Value, any Error>? in
            guard let outcome = state.outcome else {
                state.continuation = continuation
                return nil
            }
            return outcome
        }
        if let early { continuation.resume(with: early) }
    }

    /// Runs `cleanup` once the race is decided (at once if it already is).
    func whenFinished(_ cleanup: @escaping @Sendable () -> Void) {
        let decided = state.withLock { state -> Bool in
            guard state.outcome == nil else { return true }
            state.cleanup = cleanup
            return false
        }
        if decided { cleanup() }
    }

    /// Offers an outcome; only the first counts.
    func finish(_ outcome: Swift.Result<Value, any Error>) {
        let (continuation, cleanup) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, (@Sendable () -> Void)?) in
            guard state.outcome == nil else { return (nil, nil) }
            state.outcome = outcome
            defer {
                state.continuation = nil
                state.cleanup = nil
            }
            return (state.continuation, state.cleanup)
        }
        continuation?.resume(with: outcome)
        cleanup?()
    }
}
