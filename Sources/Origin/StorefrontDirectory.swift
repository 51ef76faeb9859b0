import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import Shared

/// Resolves a request's Host to its storefront through the `storefronts` table, remembering answers
/// (found or not) for a short time so that a page view costs no lookup query.
public final class StorefrontDirectory: Sendable {
    private struct Remembered: Sendable {
        var storefront: Storefront?
        var expires: ContinuousClock.Instant
    }

    private let database: TenantDatabase
    private let ttl: Duration
    private let remembered = NIOLockedValueBox([HostName: Remembered]())
    private let logger: Logger

    public init(database: TenantDatabase, ttl: Duration, logger: Logger) {
        self.database = database
        self.ttl = ttl
        self.logger = logger
    }

    /// The storefront serving `host`, or `nil` when none does.
    public func storefront(for host: HostName) async throws -> Storefront? {
        let now = ContinuousClock.now
        if let hit = remembered.withLockedValue({ $0[host] }), hit.expires > now { return hit.storefront }
        // The replica answers; a domain it does not know is checked on the primary, so a storefront created a
        // moment ago (not yet replayed) is served at once rather than cached as unknown.
        var found: Storefront?
        if database.monitor.replicaUsable { found = (try? await lookup(host, on: database.replica)) ?? nil }
        if found == nil { found = try await lookup(host, on: database.primary) }
        let entry = Remembered(storefront: found, expires: now + ttl)
        remembered.withLockedValue { $0[host] = entry }
        return found
    }

    private func lookup(_ host: HostName, on client: PostgresClient) async throws -> Storefront? {
        let rows = try await client.query(
            "SELECT domain, tenant_id, theme::text, settings::text FROM storefronts WHERE domain = \(host.rawValue)",
            logger: logger
        )
        for try await (domain, tenant, theme, settings) in rows.decode((String, String, String, String).self) {
            guard let domain = HostName(normalising: domain), let tenant = TenantID(tenant) else { continue }
            let decoded = (try? JSONDecoder().decode(Theme.self, from: Data(theme.utf8))) ?? Theme(name: domain.rawValue)
            let decodedSettings = (try? JSONDecoder().decode(StorefrontSettings.self, from: Data(settings.utf8))) ?? StorefrontSettings()
            return Storefront(domain: domain, tenantID: tenant, theme: decoded, settings: decodedSettings)
        }
        return nil
    }

    /// Forgets what was remembered about `host` (after a storefront changes).
    public func invalidate(_ host: HostName) {
        remembered.withLockedValue { _ = $0.removeValue(forKey: host) }
    }

    /// Forgets everything remembered (on a tenant-change event, whose domain may have been cached as unknown).
    public func invalidateAll() {
        remembered.withLockedValue { $0.removeAll() }
    }

    /// Every storefront, for the edge's tenant directory. Read from the primary: edges refresh right after a
    /// tenant-change event, before the replica may have replayed the change.
    public func allEntries() async throws -> [TenantDirectoryEntry] {
        let rows = try await database.primary.query(
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
}
