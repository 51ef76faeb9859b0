import Shared
import Testing

@testable import Origin

/// The memory repositories keep the first tenant wall, as ``TenantDatabase`` does.
@Suite struct MemoryRepositoryTests {
    /// Outside any scope, or for another tenant than the scope's, tenant data is refused.
    @Test func tenantScopeIsRequired() async throws {
        let origin = MemoryOrigin()
        let a = try await origin.addTenant("Wall A", products: 1)
        let b = try await origin.addTenant("Wall B", products: 1)
        let products = origin.repositories.products
        await #expect(throws: TenantDatabase.BoundaryError.noTenantContext) {
            try await products.product(a.tenantID, slug: "product-1")
        }
        await #expect(throws: TenantDatabase.BoundaryError.tenantMismatch(scope: a.tenantID, requested: b.tenantID)) {
            try await TenantScope.withTenant(a.tenantID) { try await products.product(b.tenantID, slug: "product-1") }
        }
        let own = try await TenantScope.withTenant(b.tenantID) { try await products.product(b.tenantID, slug: "product-1") }
        #expect(own?.title == "Wall B item 1")
    }
}
