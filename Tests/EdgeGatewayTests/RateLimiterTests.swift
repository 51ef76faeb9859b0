import EdgeCore
import Shared
import Testing

@testable import EdgeGateway

/// The limiter's table on an injected clock: both buckets, refusals that cost nothing, forgetting refilled
/// buckets, and a full table that admits rather than locks visitors out.
@Suite struct RateLimiterTests {
    static let tenant = TenantID("alpine")!
    static let other = TenantID("harbor")!
    static let second: UInt64 = 1_000_000_000
    static let policy = RateLimitPolicy(
        perClient: RateLimit(perSecond: 1, burst: 2),
        perTenant: RateLimit(perSecond: 1, burst: 3),
        countCacheHits: false,
        failedLogins: RateLimit(perSecond: 1.0 / 60, burst: 2)
    )

    @Test func theClientsBucketThenTheTenantsRefuse() {
        let limiter = RateLimiter()
        #expect(limiter.admit(tenant: Self.tenant, client: "a", policy: Self.policy, now: 0) == nil)
        #expect(limiter.admit(tenant: Self.tenant, client: "a", policy: Self.policy, now: 0) == nil)
        #expect(limiter.admit(tenant: Self.tenant, client: "a", policy: Self.policy, now: 0)?.reason == .client)
        #expect(limiter.admit(tenant: Self.tenant, client: "b", policy: Self.policy, now: 0) == nil)
        #expect(limiter.admit(tenant: Self.tenant, client: "c", policy: Self.policy, now: 0)?.reason == .tenant)
        #expect(limiter.admit(tenant: Self.other, client: "a", policy: Self.policy, now: 0) == nil, "buckets are per tenant")
        #expect(limiter.admit(tenant: Self.tenant, client: "c", policy: Self.policy, now: Self.second) == nil, "refused ones cost nothing")
    }

    @Test func failedLoginsRefuseOnlyAfterTheyAreCharged() {
        let limiter = RateLimiter()
        let limit = Self.policy.failedLogins!
        #expect(limiter.admitLogin(tenant: Self.tenant, client: "a", policy: Self.policy, now: 0) == nil)
        limiter.loginFailed(tenant: Self.tenant, client: "a", limit: limit, now: 0)
        #expect(limiter.admitLogin(tenant: Self.tenant, client: "a", policy: Self.policy, now: 0) == nil)
        limiter.loginFailed(tenant: Self.tenant, client: "a", limit: limit, now: 0)
        let refusal = limiter.admitLogin(tenant: Self.tenant, client: "a", policy: Self.policy, now: 0)
        #expect(refusal == RateLimiter.Refusal(reason: .login, retryAfterSeconds: 60))
        #expect(limiter.admitLogin(tenant: Self.tenant, client: "b", policy: Self.policy, now: 0) == nil)
        #expect(limiter.admitLogin(tenant: Self.tenant, client: "a", policy: Self.policy, now: 60 * Self.second) == nil)
    }

    @Test func refilledBucketsAreForgottenAndAFullTableAdmits() {
        let limiter = RateLimiter(capacity: 4, sweepInterval: 10 * Self.second)
        let clientsOnly = RateLimitPolicy(perClient: RateLimit(perSecond: 1, burst: 1), perTenant: nil, countCacheHits: false, failedLogins: nil)
        for client in ["a", "b", "c", "d"] { #expect(limiter.admit(tenant: Self.tenant, client: client, policy: clientsOnly, now: 0) == nil) }
        #expect(limiter.trackedKeys == 4)
        #expect(limiter.admit(tenant: Self.tenant, client: "e", policy: clientsOnly, now: 0) == nil, "full: admitted untracked")
        #expect(limiter.untracked == 1)
        #expect(limiter.admit(tenant: Self.tenant, client: "a", policy: clientsOnly, now: 0)?.reason == .client, "tracked ones still limited")
        _ = limiter.admit(tenant: Self.tenant, client: "f", policy: clientsOnly, now: 11 * Self.second)
        #expect(limiter.trackedKeys == 1, "the refilled buckets were swept; only f's is left")
    }
}
