import EdgeGateway
import Foundation
import Logging
import Shared
import Testing

@Suite struct TenantSourceTests {
    /// A static tenant file lists storefronts; invalid entries make the whole file fail rather than half-apply.
    @Test func staticFileSource() async throws {
        let path = NSTemporaryDirectory() + "tenants-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"tenants":[{"domain":"WWW.Shop.Test","tenantId":"shop"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        let entries = try await StaticFileTenantSource(path: path).fetchTenants()
        #expect(entries == [TenantDirectoryEntry(domain: HostName(normalising: "shop.test")!, tenantID: TenantID("shop")!)])

        try Data(#"{"tenants":[{"domain":"ok.test","tenantId":"ok"},{"domain":"bad host","tenantId":"x"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        await #expect(throws: DecodingError.self) { try await StaticFileTenantSource(path: path).fetchTenants() }
    }

    /// A failed refresh keeps the last good directory instead of emptying it.
    @Test func failedRefreshKeepsDirectory() async throws {
        let registry = TenantRegistry(certificateDirectory: nil, logger: Logger(label: "test"))
        registry.update([TenantDirectoryEntry(domain: HostName(normalising: "shop.test")!, tenantID: TenantID("shop")!)])
        let service = TenantRefreshService(
            source: StaticFileTenantSource(path: "/nonexistent/tenants.json"),
            registry: registry,
            interval: .seconds(60),
            logger: Logger(label: "test")
        )
        #expect(await service.refreshOnce() == false)
        #expect(registry.snapshot.tenant(for: HostName(normalising: "shop.test")!) == TenantID("shop"))
    }
}
