import PostgresNIO
import Shared
import TestSupport
import Testing

@testable import Origin

@Suite struct TenantBoundaryTests {
    /// Work for tenant B started inside tenant A's request scope fails before reaching the database.
    @Test func callForAnotherTenantInsideScopeFails() async throws {
        try await TestDatabase.with { db in
            let a = TenantID("boundary-a")!
            let b = TenantID("boundary-b")!
            await #expect(throws: TenantDatabase.BoundaryError.tenantMismatch(scope: a, requested: b)) {
                try await TenantScope.$current.withValue(a) {
                    try await db.database.read(b) { _ in 1 }
                }
            }
        }
    }

    /// The same slug in two catalogues returns each tenant its own product.
    @Test func sameSlugEachTenantsOwnProduct() async throws {
        try await TestDatabase.with { db in
            let a = TestEnvironment.uniqueTenant(name: "Boundary A")
            let b = TestEnvironment.uniqueTenant(name: "Boundary B")
            try await db.createTenant(a)
            try await db.createTenant(b)
            let repository = PostgresProductRepository(database: db.database)
            let fromA = try await TenantScope.withTenant(a.id) { try await repository.product(a.id, slug: "product-1") }
            let fromB = try await TenantScope.withTenant(b.id) { try await repository.product(b.id, slug: "product-1") }
            #expect(fromA?.title == "Boundary A item 1")
            #expect(fromB?.title == "Boundary B item 1")
        }
    }

    /// A domain belongs to one tenant: another tenant cannot take it over, and nothing is half-written.
    @Test func domainCannotBeTakenByAnotherTenant() async throws {
        try await TestDatabase.with { db in
            let owner = TestEnvironment.uniqueTenant(name: "Owner")
            try await db.createTenant(owner, products: 0)
            var thief = TestEnvironment.uniqueTenant(name: "Thief")
            thief.domain = owner.domain
            await #expect(throws: Seeder.Failure.self) {
                try await Seeder.upsertTenant(thief, on: db.owner, logger: TestEnvironment.logger)
            }
            let thiefRows = try await db.owner.query("SELECT count(*)::int FROM tenants WHERE id = \(thief.id.rawValue)")
                .decode(Int.self).collect()
            #expect(thiefRows == [0])
            let owners = try await db.owner.query(
                "SELECT tenant_id FROM storefronts WHERE domain = \(owner.domain.rawValue)"
            ).decode(String.self).collect()
            #expect(owners == [owner.id.rawValue])
        }
    }
}

@Suite struct QueryLayerTests {
    /// A repository that forgets its tenant filter gets an error, not another tenant's rows.
    @Test func forgottenTenantFilterFails() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Forgetful")
            try await db.createTenant(spec, products: 2)
            await #expect(throws: TenantDatabase.BoundaryError.missingTenantFilter(table: "products")) {
                try await TenantScope.withTenant(spec.id) {
                    try await db.database.read(spec.id) { connection in
                        try await connection.query("SELECT title FROM products WHERE slug = 'product-1'")
                    }
                }
            }
        }
    }

    /// Tenant data asked for outside any tenant context fails with a clear error.
    @Test func noTenantContextFails() async throws {
        try await TestDatabase.with { db in
            await #expect(throws: TenantDatabase.BoundaryError.noTenantContext) {
                try await db.database.read(TenantID("anyone")!) { _ in 1 }
            }
        }
    }

    @Test(arguments: [
        ("SELECT * FROM products WHERE slug = $1", "products"),
        ("DELETE FROM order_lines", "order_lines"),
        ("UPDATE orders SET status = 'x'", "orders"),
    ])
    /// The check spots unfiltered statements on every tenant table.
    func unfilteredStatementsAreSpotted(sql: String, table: String) {
        #expect(TenantConnection.unfilteredTenantTable(in: sql) == table)
    }

    @Test(arguments: [
        "SELECT * FROM products WHERE tenant_id = $1 AND slug = $2",
        "SELECT domain FROM storefronts WHERE domain = $1",
        "SELECT products_count FROM stats",
    ])
    func filteredOrNonTenantStatementsPass(sql: String) {
        #expect(TenantConnection.unfilteredTenantTable(in: sql) == nil)
    }
}
