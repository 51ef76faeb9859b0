import EdgeCore
import Shared
import Testing

@Suite struct TokenBucketTests {
    static let second: UInt64 = 1_000_000_000
    static let twoPerSecond = RateLimit(perSecond: 2, burst: 4)

    @Test func theBurstIsAdmittedThenTheRateWithRetryAfter() {
        var bucket = TokenBucket(Self.twoPerSecond, now: 0)
        for _ in 0..<4 { #expect(bucket.take(Self.twoPerSecond, now: 0) == nil) }
        #expect(bucket.take(Self.twoPerSecond, now: 0) == 1, "half a second to wait, rounded up to 1")
        #expect(bucket.take(Self.twoPerSecond, now: Self.second / 2) == nil, "one token after half a second")
        #expect(bucket.take(Self.twoPerSecond, now: Self.second / 2) != nil)
        #expect(bucket.take(Self.twoPerSecond, now: 10 * Self.second) == nil)
        #expect(bucket.tokens == 3, "refilled to the burst, then one taken")
    }

    @Test func aRefusalCostsNothingAndRetryAfterCountsTheMissingTokens() {
        let perMinute = RateLimit(perSecond: 1.0 / 60, burst: 1)
        var bucket = TokenBucket(perMinute, now: 0)
        #expect(bucket.take(perMinute, now: 0) == nil)
        #expect(bucket.take(perMinute, now: 0) == 60)
        #expect(bucket.take(perMinute, now: 30 * Self.second) == 30)
        #expect(bucket.check(perMinute, now: 60 * Self.second) == nil)
    }

    @Test func chargesGoBelowZeroSoAFloodWaitsLonger() {
        let perMinute = RateLimit(perSecond: 1.0 / 60, burst: 2)
        var bucket = TokenBucket(perMinute, now: 0)
        for _ in 0..<10 { bucket.charge(perMinute, now: 0) }
        #expect(bucket.tokens == -2, "floored at minus the burst")
        #expect(bucket.check(perMinute, now: 0) == 180, "three tokens to earn back")
        #expect(!bucket.isFull(perMinute, now: 0))
        #expect(bucket.isFull(perMinute, now: 240 * Self.second))
    }

    @Test func ratesParseFromTheCommandLine() {
        #expect(RateLimit(parsing: "50/s,burst=500") == RateLimit(perSecond: 50, burst: 500))
        #expect(RateLimit(parsing: "10/min")?.perSecond == 10.0 / 60)
        #expect(RateLimit(parsing: "10/min")?.burst == 1)
        #expect(RateLimit(parsing: "7200/h")?.perSecond == 2)
        for bad in ["", "50", "50/day", "-1/s", "0/s", "5/s,burst=0", "5/s,bust=3", "x/s"] {
            #expect(RateLimit(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func aTenantsLimitsOverrideTheEdgesOneByOne() {
        let defaults = RateLimitPolicy(
            perClient: RateLimit(perSecond: 50, burst: 500),
            perTenant: nil,
            countCacheHits: false,
            failedLogins: RateLimit(perSecond: 1.0 / 60, burst: 10)
        )
        #expect(defaults.overridden(by: nil) == defaults)
        let tenant = TenantRateLimits(perTenant: RateLimit(perSecond: 100, burst: 100), countCacheHits: true)
        let policy = defaults.overridden(by: tenant)
        #expect(policy.perClient == defaults.perClient)
        #expect(policy.perTenant == RateLimit(perSecond: 100, burst: 100))
        #expect(policy.countCacheHits)
        #expect(policy.failedLogins == defaults.failedLogins)
    }

    @Test func failedLoginsAreSlowedWithDoublingWaitsUpToACap() {
        #expect((0..<10).map { LoginThrottle.delayMilliseconds(failures: $0) } == [0, 0, 0, 250, 500, 1000, 2000, 4000, 4000, 4000])
        #expect(LoginThrottle.delayMilliseconds(failures: 1_000) == 4000)
        var bucket = TokenBucket(RateLimit(perSecond: 1.0 / 60, burst: 10), now: 0)
        for _ in 0..<4 { bucket.charge(RateLimit(perSecond: 1.0 / 60, burst: 10), now: 0) }
        #expect(bucket.spent(RateLimit(perSecond: 1.0 / 60, burst: 10), now: 0) == 4)
        #expect(bucket.spent(RateLimit(perSecond: 1.0 / 60, burst: 10), now: 120 * Self.second) == 2, "two refilled in two minutes")
    }
}
