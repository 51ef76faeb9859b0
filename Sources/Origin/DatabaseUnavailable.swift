/// The database cannot do a request's work now: the primary is down (read-only mode) or did not answer in
/// time, or neither server can answer a read. Routes let it through; it answers as `503` with `Retry-After`
/// and a short message (see `DatabaseUnavailable+HTTP.swift`), well before the edge would give up with a
/// `504`.
public struct DatabaseUnavailable: Error, Equatable, CustomStringConvertible {
    /// Why the work was not done.
    public enum Reason: Sendable, Equatable {
        /// The primary is down or did not answer in time; nothing was written.
        case readOnly
        /// The primary stopped answering while the write was committing: it may or may not stand.
        case writeUnconfirmed
        /// Neither the replica nor the primary could answer a read.
        case unreachable
    }

    public var reason: Reason
    /// When to try again, in seconds.
    public var retryAfterSeconds: Int

    /// - Parameters:
    ///   - reason: why the work was not done.
    ///   - retryAfterSeconds: when to try again.
    public init(_ reason: Reason, retryAfterSeconds: Int) {
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// What the client is told.
    public var message: String {
        switch reason {
        case .readOnly: "the store is read-only for a moment; retry"
        case .writeUnconfirmed: "the store could not confirm this write in time; retry with the same Idempotency-Key"
        case .unreachable: "the store's database is unavailable for a moment; retry"
        }
    }

    public var description: String { message }
}
