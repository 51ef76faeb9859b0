import EdgeCore
import Shared
import Synchronization

/// The edge's request rate limits, as token buckets kept in this process only (each edge enforces its share,
/// nothing is coordinated across the fleet on the hot path): origin-bound requests per client address and
/// per tenant, and failed logins per client address. A limited request gets `429` with `Retry-After`.
///
/// One table under one lock held for a dictionary lookup, never across I/O. It forgets buckets that have
/// refilled (a sweep every ``sweepInterval`` or when it holds ``capacity`` keys); past the capacity with
/// nothing to forget, new keys are admitted without being tracked (counted in ``untracked``) rather than
/// refused: a flood of spoofed sources must not lock out every new visitor.
final class RateLimiter: Sendable {
    /// Why a request was refused.
    enum Reason: String, Sendable, CaseIterable {
        case client, tenant, login
    }

    struct Refusal: Sendable, Equatable {
        var reason: Reason
        var retryAfterSeconds: Int
    }

    private enum Kind: UInt8 { case client, tenant, login }

    private struct Key: Hashable {
        var kind: Kind
        var tenant: TenantID
        var client: String
    }

    private struct Entry {
        var bucket: TokenBucket
        var limit: RateLimit
    }

    private struct Table {
        var entries: [Key: Entry] = [:]
        var lastSweep: UInt64 = 0
        var untracked = 0
    }

    let capacity: Int
    let sweepInterval: UInt64
    private let table = Mutex(Table())

    /// - Parameters:
    ///   - capacity: the most keys kept.
    ///   - sweepInterval: nanoseconds between sweeps of refilled buckets.
    init(capacity: Int = 200_000, sweepInterval: UInt64 = 10_000_000_000) {
        self.capacity = capacity
        self.sweepInterval = sweepInterval
    }

    /// One request that goes to the origin (or any request, where hits count): admitted, or refused with the
    /// seconds to wait. Both buckets are checked before either is charged, so a refused request costs nothing.
    func admit(tenant: TenantID, client: String, policy: RateLimitPolicy, now: UInt64) -> Refusal? {
        guard policy.perClient != nil || policy.perTenant != nil else { return nil }
        let clientKey = Key(kind: .client, tenant: tenant, client: client)
        let tenantKey = Key(kind: .tenant, tenant: tenant, client: "")
        return table.withLock { table in
            sweepIfDue(&table, now: now)
            if let limit = policy.perClient, let wait = Self.wait(table.entries[clientKey], limit: limit, now: now) {
                return Refusal(reason: .client, retryAfterSeconds: wait)
            }
            if let limit = policy.perTenant, let wait = Self.wait(table.entries[tenantKey], limit: limit, now: now) {
                return Refusal(reason: .tenant, retryAfterSeconds: wait)
            }
            if let limit = policy.perClient { take(&table, key: clientKey, limit: limit, now: now) }
            if let limit = policy.perTenant { take(&table, key: tenantKey, limit: limit, now: now) }
            return nil
        }
    }

    /// Before a request with credentials goes to the origin: refused while its client has used up its
    /// failed logins for this tenant.
    func admitLogin(tenant: TenantID, client: String, policy: RateLimitPolicy, now: UInt64) -> Refusal? {
        guard let limit = policy.failedLogins else { return nil }
        return table.withLock { table in
            let key = Key(kind: .login, tenant: tenant, client: client)
            return Self.wait(table.entries[key], limit: limit, now: now).map { Refusal(reason: .login, retryAfterSeconds: $0) }
        }
    }

    /// How long to hold a request with credentials before it goes to the origin: nothing for a client with
    /// few recent failed logins, then doubling waits (``LoginThrottle``).
    func loginDelay(tenant: TenantID, client: String, limit: RateLimit, now: UInt64) -> Int {
        let failures = table.withLock { table -> Int in
            guard let entry = table.entries[Key(kind: .login, tenant: tenant, client: client)], entry.limit == limit else { return 0 }
            return entry.bucket.spent(limit, now: now)
        }
        return LoginThrottle.delayMilliseconds(failures: failures)
    }

    /// The origin refused a request's credentials (401 or 403): one failed login for its client.
    func loginFailed(tenant: TenantID, client: String, limit: RateLimit, now: UInt64) {
        table.withLock { table in
            sweepIfDue(&table, now: now)
            let key = Key(kind: .login, tenant: tenant, client: client)
            var entry = table.entries[key].flatMap { $0.limit == limit ? $0 : nil } ?? Entry(bucket: TokenBucket(limit, now: now), limit: limit)
            entry.bucket.charge(limit, now: now)
            guard table.entries[key] != nil || table.entries.count < capacity else {
                table.untracked += 1
                return
            }
            table.entries[key] = entry
        }
    }

    /// Keys held now (for tests and `/metrics`).
    var trackedKeys: Int { table.withLock { $0.entries.count } }

    /// Requests admitted without a bucket because the table was full of live keys.
    var untracked: Int { table.withLock { $0.untracked } }

    /// The seconds until `entry`'s bucket has a token; `nil` if it has one now (or there is no bucket yet,
    /// or its limit changed: it starts full).
    private static func wait(_ entry: Entry?, limit: RateLimit, now: UInt64) -> Int? {
        guard var bucket = entry?.bucket, entry?.limit == limit else { return nil }
        return bucket.check(limit, now: now)
    }

    private func take(_ table: inout Table, key: Key, limit: RateLimit, now: UInt64) {
        if var entry = table.entries[key], entry.limit == limit {
            _ = entry.bucket.take(limit, now: now)
            table.entries[key] = entry
            return
        }
        guard table.entries[key] != nil || table.entries.count < capacity else {
            table.untracked += 1
            return
        }
        var bucket = TokenBucket(limit, now: now)
        _ = bucket.take(limit, now: now)
        table.entries[key] = Entry(bucket: bucket, limit: limit)
    }

    /// Forgets refilled buckets every ``sweepInterval``, or at most once a second while the table is full.
    private func sweepIfDue(_ table: inout Table, now: UInt64) {
        let due = now &- table.lastSweep >= sweepInterval || (table.entries.count >= capacity && now &- table.lastSweep >= 1_000_000_000)
        guard due else { return }
        table.lastSweep = now
        table.entries = table.entries.filter { !$0.value.bucket.isFull($0.value.limit, now: now) }
    }
}
