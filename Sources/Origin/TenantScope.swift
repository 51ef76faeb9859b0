import Shared

/// The tenant of the work running now, carried through async calls as a task-local value.
///
/// The tenant middleware sets it for the whole request; ``TenantDatabase`` cross-checks it against the tenant a
/// repository passes, so data of one tenant is never read while serving another.
public enum TenantScope {
    @TaskLocal public static var current: TenantID?
}
