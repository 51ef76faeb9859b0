import Foundation
import Logging
import PostgresNIO
import Shared

/// ``StorefrontRepository`` on PostgreSQL's `storefronts` table.
public struct PostgresStorefrontRepository: StorefrontRepository {
    let database: TenantDatabase
    let logger: Logger

    public init(database: TenantDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The replica answers; a domain it does not know is checked on the primary, so a storefront created a
    /// moment ago (not yet replayed) is served at once rather than cached as unknown. While the primary is
    /// down, the replica's answer stands.
    public func storefront(for host: HostName) async throws -> Storefront? {
        var found: Storefront?
        var replicaAnswered = false
        if database.monitor.replicaUsable {
            if let answer = try? await database.platformRead(on: .replica, { try await lookup(host, on: $0) }) {
                found = answer
                replicaAnswered = true
            }
        }
        if found == nil, !replicaAnswered || database.monitor.primaryUp {
            found = try await database.platformRead(on: .primary) { try await lookup(host, on: $0) }
        }
        return found
    }

    /// Read from the primary: edges ask right after a tenant-change event, before the replica may have
    /// replayed the change. While the primary is down, from the replica.
    public func allEntries() async throws -> [TenantDirectoryEntry] {
        try await database.platformRead(on: database.monitor.primaryUp ? .primary : .replica) { try await entries(on: $0) }
    }

    private func entries(on client: PostgresClient) async throws -> [TenantDirectoryEntry] {
        let rows = try await client.query(
            "SELECT domain, tenant_id, settings::text FROM storefronts ORDER BY domain",
            logger: logger
        )
        var entries: [TenantDirectoryEntry] = []
        for try await (domain, tenant, settings) in rows.decode((String, String, String).self) {
            guard let domain = HostName(normalising: domain), let tenant = TenantID(tenant) else { continue }
            let edge = (try? JSONDecoder().decode(StorefrontSettings.self, from: Data(settings.utf8)))?.edge
            entries.append(TenantDirectoryEntry(domain: domain, tenantID: tenant, edge: edge))
        }
        return entries
    }

    private func lookup(_ host: HostName, on client: PostgresClient) async throws -> Storefront? {
        let rows = try await client.query(
            "SELECT domain, tenant_id, theme::text, settings::text FROM storefronts WHERE domain = \(host.rawValue)",
            logger: logger
        )
        var found: Storefront?
        for try await (domain, tenant, theme, settings) in rows.decode((String, String, String, String).self) {
            guard found == nil, let domain = HostName(normalising: domain), let tenant = TenantID(tenant) else { continue }
            let decoded = (try? JSONDecoder().decode(Theme.self, from: Data(theme.utf8))) ?? Theme(name: domain.rawValue)
            let decodedSettings = (try? JSONDecoder().decode(StorefrontSettings.self, from: Data(settings.utf8))) ?? StorefrontSettings()
            found = Storefront(domain: domain, tenantID: tenant, theme: decoded, settings: decodedSettings)
        }
        return found
    }
}
