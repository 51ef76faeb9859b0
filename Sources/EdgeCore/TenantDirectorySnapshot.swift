import Shared

/// An immutable view of which domain belongs to which tenant, as the edge knows it at one moment.
///
/// The I/O layer swaps whole snapshots when the tenant source changes; request handling reads one snapshot
/// and never sees a half-applied update.
public struct TenantDirectorySnapshot: Sendable, Equatable {
    private var tenantsByDomain: [HostName: TenantID]
    private var settingsByTenant: [TenantID: TenantEdgeSettings]

    /// - Parameter entries: the storefronts; a domain listed twice keeps its last entry.
    public init(_ entries: some Sequence<TenantDirectoryEntry> = []) {
        var table: [HostName: TenantID] = [:]
        var settings: [TenantID: TenantEdgeSettings] = [:]
        for entry in entries {
            table[entry.domain] = entry.tenantID
            if let edge = entry.edge { settings[entry.tenantID] = edge }
        }
        self.tenantsByDomain = table
        self.settingsByTenant = settings
    }

    /// The edge settings of `tenant` (the defaults when it has none).
    /// - Parameter tenant: the tenant.
    public func settings(for tenant: TenantID) -> TenantEdgeSettings {
        settingsByTenant[tenant] ?? TenantEdgeSettings()
    }

    /// Every tenant with its settings.
    public var tenants: [TenantID: TenantEdgeSettings] {
        var all = settingsByTenant
        for tenant in tenantsByDomain.values where all[tenant] == nil { all[tenant] = TenantEdgeSettings() }
        return all
    }

    /// The tenant that owns `domain`, if any.
    /// - Parameter domain: a normalised host name.
    public func tenant(for domain: HostName) -> TenantID? { tenantsByDomain[domain] }

    /// The number of domains.
    public var count: Int { tenantsByDomain.count }
}
