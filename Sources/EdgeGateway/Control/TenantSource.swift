import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared

/// Where the edge learns which domains belong to which tenant.
public protocol TenantSource: Sendable {
    /// Every storefront, as of now.
    func fetchTenants() async throws -> [TenantDirectoryEntry]
}

/// The wire format of a tenant list: the origin's `GET /internal/tenants` and a static tenant file.
public struct TenantList: Codable, Sendable {
    public var tenants: [TenantDirectoryEntry]

    public init(tenants: [TenantDirectoryEntry]) { self.tenants = tenants }
}
