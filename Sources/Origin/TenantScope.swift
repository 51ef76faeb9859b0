import Shared
import Synchronization

/// The tenant of the work running now, carried through async calls as task-local values.
///
/// The tenant middleware sets it for the whole request; ``TenantDatabase`` refuses any work outside a scope
/// and any work for another tenant than the scope's, so data of one tenant is never read while serving
/// another. Background work for a tenant opens a scope with ``withTenant(_:operation:)``.
public enum TenantScope {
    @TaskLocal public static var current: TenantID?
    /// Per-request facts the database layer needs (did this request write?).
    @TaskLocal static var request: RequestState?

    /// Runs `operation` as work of `tenant`.
    /// - Parameters:
    ///   - tenant: the tenant.
    ///   - operation: the work.
    public static func withTenant<Result>(
        _ tenant: TenantID,
        operation: () async throws -> Result
    ) async rethrows -> Result {
        try await $current.withValue(tenant) {
            try await $request.withValue(RequestState()) { try await operation() }
        }
    }

    /// State of one request, shared by the tasks that serve it.
    final class RequestState: Sendable {
        private let wrote = Atomic<Bool>(false)

        /// Whether the request has written to the primary (its reads then stay on the primary).
        var hasWritten: Bool { wrote.load(ordering: .acquiring) }

        func markWritten() { wrote.store(true, ordering: .releasing) }
    }
}
