import Foundation
import Shared
import Synchronization

/// The in-memory stand-in for PostgreSQL that the memory repositories share, so route tests run in
/// milliseconds without a database.
///
/// It keeps the first tenant wall: rows are stored per tenant, and tenant rows are reachable only through
/// ``withTenant(_:_:)``, which (like ``TenantDatabase``) refuses work outside a ``TenantScope`` or for another
/// tenant than the scope's. A memory repository can therefore never return another tenant's rows.
public final class MemoryDatabase: Sendable {
    /// Refusals that PostgreSQL's constraints would give.
    public enum Failure: Error, Equatable {
        /// Tenant rows were written for a tenant that does not exist (a foreign key in PostgreSQL).
        case noSuchTenant(TenantID)
    }

    /// One tenant's rows.
    struct TenantRows {
        var name: String
        var products: [Product] = []
        var orders: [StoredOrder] = []
        /// Admin users: email → password hash.
        var admins: [String: String] = [:]
    }

    /// An order with the columns routes never show.
    struct StoredOrder {
        var order: Order
        var idempotencyKey: String?
        var fingerprint: String
        var createdAt: Date
    }

    private struct State {
        var tenants: [TenantID: TenantRows] = [:]
        var storefronts: [HostName: Storefront] = [:]
    }

    private let state = Mutex(State())
    private let lastID = Atomic<Int64>(0)

    public init() {}

    /// A new row id, unique across tenants (as PostgreSQL's identity columns are).
    func nextID() -> Int64 {
        lastID.add(1, ordering: .relaxed).newValue
    }

    /// Runs `body` on `tenant`'s rows, and on nothing else.
    /// - Throws: ``TenantDatabase/BoundaryError`` outside `tenant`'s scope; ``Failure/noSuchTenant(_:)`` when
    ///   the tenant does not exist.
    func withTenant<Result: Sendable>(_ tenant: TenantID, _ body: (inout TenantRows) throws -> Result) throws -> Result {
        try checkScope(tenant)
        return try state.withLock { state in
            guard var rows = state.tenants[tenant] else { throw Failure.noSuchTenant(tenant) }
            // Changes are kept only when the body succeeds: a throwing body writes nothing (a rolled back
            // transaction).
            let result = try body(&rows)
            state.tenants[tenant] = rows
            return result
        }
    }

    /// Throws unless the current ``TenantScope`` is `tenant`'s, as ``TenantDatabase`` does.
    func checkScope(_ tenant: TenantID) throws {
        guard let scope = TenantScope.current else { throw TenantDatabase.BoundaryError.noTenantContext }
        guard scope == tenant else { throw TenantDatabase.BoundaryError.tenantMismatch(scope: scope, requested: tenant) }
    }

    /// Whether `tenant` exists.
    func tenantExists(_ tenant: TenantID) -> Bool {
        state.withLock { $0.tenants[tenant] != nil }
    }

    /// Adds a tenant and its storefront together, or neither.
    func addTenant(name: String, storefront: Storefront) -> TenantCreation {
        state.withLock { state in
            if state.tenants[storefront.tenantID] != nil { return .idTaken }
            if state.storefronts[storefront.domain] != nil { return .domainTaken }
            state.tenants[storefront.tenantID] = TenantRows(name: name)
            state.storefronts[storefront.domain] = storefront
            return .created
        }
    }

    /// The storefront of `host`.
    func storefront(for host: HostName) -> Storefront? {
        state.withLock { $0.storefronts[host] }
    }

    /// Every storefront.
    func allStorefronts() -> [Storefront] {
        state.withLock { Array($0.storefronts.values) }
    }
}
