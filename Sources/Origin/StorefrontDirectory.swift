import Foundation
import Logging
import NIOConcurrencyHelpers
import Shared

/// Resolves a request's Host to its storefront through a ``StorefrontRepository``, remembering answers
/// (found or not) for a short time so that a page view costs no lookup query.
public final class StorefrontDirectory: Sendable {
    private struct Remembered: Sendable {
        var storefront: Storefront?
        var expires: ContinuousClock.Instant
    }

    private let repository: any StorefrontRepository
    private let ttl: Duration
    private let remembered = NIOLockedValueBox([HostName: Remembered]())

    /// - Parameters:
    ///   - repository: where storefronts are looked up.
    ///   - ttl: how long an answer is remembered.
    public init(repository: any StorefrontRepository, ttl: Duration) {
        self.repository = repository
        self.ttl = ttl
    }

    /// A directory over the `storefronts` table.
    public convenience init(database: TenantDatabase, ttl: Duration, logger: Logger) {
        self.init(repository: PostgresStorefrontRepository(database: database, logger: logger), ttl: ttl)
    }

    /// The storefront serving `host`, or `nil` when none does.
    public func storefront(for host: HostName) async throws -> Storefront? {
        let now = ContinuousClock.now
        if let hit = remembered.withLockedValue({ $0[host] }), hit.expires > now { return hit.storefront }
        let found = try await repository.storefront(for: host)
        let entry = Remembered(storefront: found, expires: now + ttl)
        remembered.withLockedValue { $0[host] = entry }
        return found
    }

    /// Forgets what was remembered about `host` (after a storefront changes).
    public func invalidate(_ host: HostName) {
        remembered.withLockedValue { _ = $0.removeValue(forKey: host) }
    }

    /// Forgets everything remembered (on a tenant-change event, whose domain may have been cached as unknown).
    public func invalidateAll() {
        remembered.withLockedValue { $0.removeAll() }
    }
}
