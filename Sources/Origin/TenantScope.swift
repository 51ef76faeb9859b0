import Shared
import Synchronization

/// The tenant of the work running now, carried through async calls as task-local values.
///
/// The tenant middleware opens a scope for the whole request; ``TenantDatabase`` refuses any work outside a
/// scope and any work for another tenant than the scope's, so data of one tenant is never read while serving
/// another. Background work for a tenant opens a scope with ``withTenant(_:operation:)``.
public enum TenantScope {
    @TaskLocal public static var current: TenantID?
    /// Per-request facts the database layer needs (did this request write? what must the replica have?).
    @TaskLocal static var request: RequestState?

    /// Runs `operation` as work of `tenant`, with fresh per-request state.
    /// - Parameters:
    ///   - tenant: the tenant.
    ///   - operation: the work.
    public static func withTenant<Result>(
        _ tenant: TenantID,
        operation: () async throws -> Result
    ) async rethrows -> Result {
        try await withRequest(tenant, state: RequestState(), operation: operation)
    }

    /// Runs `operation` as one request of `tenant` with the given state, which the caller reads afterwards
    /// (the tenant middleware: the position to hand to the client).
    /// - Parameters:
    ///   - tenant: the tenant.
    ///   - state: the request's state.
    ///   - operation: the request's work.
    static func withRequest<Result>(
        _ tenant: TenantID,
        state: RequestState,
        operation: () async throws -> Result
    ) async rethrows -> Result {
        try await $current.withValue(tenant) {
            try await $request.withValue(state) { try await operation() }
        }
    }

    /// State of one request, shared by the tasks that serve it.
    final class RequestState: Sendable {
        private struct Facts {
            var wrote = false
            var writePosition: WALPosition?
            var replicaCaughtUp = false
        }

        /// The position the client says its last write reached (the `sf_wal` cookie): reads may use the
        /// replica only once it has replayed that far.
        let requiredPosition: WALPosition?
        private let facts = Mutex(Facts())

        /// - Parameter requiredPosition: what the replica must have replayed before this request reads from it.
        init(requiredPosition: WALPosition? = nil) {
            self.requiredPosition = requiredPosition
        }

        /// Whether the request has written to the primary (its reads then stay on the primary).
        var hasWritten: Bool { facts.withLock { $0.wrote } }

        /// The primary's position after the request's last write, when it was read.
        var writePosition: WALPosition? { facts.withLock { $0.writePosition } }

        /// Whether a read of this request found the replica at or past ``requiredPosition``.
        var replicaCaughtUp: Bool { facts.withLock { $0.replicaCaughtUp } }

        func markWritten() { facts.withLock { $0.wrote = true } }

        func recordWrite(at position: WALPosition) {
            facts.withLock { $0.writePosition = max($0.writePosition ?? position, position) }
        }

        func markReplicaCaughtUp() { facts.withLock { $0.replicaCaughtUp = true } }
    }
}
