import Shared

/// An immutable view of which domain belongs to which tenant, as the edge knows it at one moment.
///
/// The I/O layer swaps whole snapshots when the tenant source changes; request handling reads one snapshot
/// and never sees a half-applied update.
public struct TenantDirectorySnapshot: Sendable, Equatable {
    private var tenantsByDomain: [HostName: TenantID]

    /// - Parameter entries: the storefronts; a domain listed twice keeps its last entry.
    public init(_ entries: some Sequence<TenantDirectoryEntry> = []) {
        var table: [HostName: TenantID] = [:]
        for entry in entries { table[entry.domain] = entry.tenantID }
        self.tenantsByDomain = table
    }

    /// The tenant that owns `domain`, if any.
    /// - Parameter domain: a normalised host name.
    public func tenant(for domain: HostName) -> TenantID? { tenantsByDomain[domain] }

    /// Every domain in the snapshot, sorted.
    public var domains: [HostName] { tenantsByDomain.keys.sorted { $0.rawValue < $1.rawValue } }

    /// The number of domains.
    public var count: Int { tenantsByDomain.count }
}
