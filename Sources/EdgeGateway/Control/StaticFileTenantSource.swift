import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Shared

/// Tenants listed in a JSON file (`{"tenants": [{"domain": "…", "tenantId": "…"}]}`), so the edge can front any
/// HTTP origin. The file is read again on every refresh.
public struct StaticFileTenantSource: TenantSource {
    public let path: String

    public init(path: String) { self.path = path }

    public func fetchTenants() async throws -> [TenantDirectoryEntry] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(TenantList.self, from: data).tenants
    }
}
