import EdgeCore
import Testing

/// Ejection never takes the last origins away, and an origin's error statuses are not a dead host.
@Suite struct OriginPanicModeTests {
    typealias Balancer = OriginBalancer<String>

    private func ejected(_ balancer: inout Balancer, _ member: String, now: UInt64) {
        for _ in 0..<balancer.policy.ejectAfterFailures { balancer.release(member, outcome: .failure, now: now) }
    }

    /// The only origin, ejected, still gets every request (the "last origin gets ejected").
    @Test func lastOriginIsNeverTakenAway() {
        var balancer = Balancer(endpoints: ["a"])
        ejected(&balancer, "a", now: 0)
        #expect(balancer.usableCount(now: 1) == 0)
        #expect(balancer.acquire(now: 1) == "a")
    }

    /// Below half usable, every member is used again, least outstanding first.
    @Test func belowThresholdUsesEveryMember() {
        var balancer = Balancer(endpoints: ["a", "b", "c"])
        ejected(&balancer, "a", now: 0)
        ejected(&balancer, "b", now: 0)
        var picked = Set<String>()
        for _ in 0..<3 { picked.insert(balancer.acquire(now: 1) ?? "none") }
        #expect(picked == ["a", "b", "c"])
    }

    /// At or above the threshold, ejected members stay out.
    @Test func aboveThresholdSkipsEjected() {
        var balancer = Balancer(endpoints: ["a", "b", "c", "d"])
        ejected(&balancer, "a", now: 0)
        for _ in 0..<9 {
            let picked = balancer.acquire(now: 1)
            #expect(picked != "a")
            if let picked { balancer.release(picked, outcome: .success, now: 1) }
        }
    }

    /// Unhealthy by probes counts the same: two unhealthy origins of two are both still used.
    @Test func probesCannotEmptyThePool() {
        var balancer = Balancer(endpoints: ["a", "b"])
        for member in ["a", "b"] {
            balancer.probed(member, healthy: false)
            balancer.probed(member, healthy: false)
        }
        #expect(balancer.acquire(now: 0) != nil)
    }

    /// By default no status counts towards ejection; configured ones do.
    @Test func statusesCountOnlyWhenConfigured() {
        let plain = Balancer(endpoints: ["a"])
        #expect(![500, 502, 503, 504].contains { plain.countsAsFailure(status: $0) })
        var policy = Balancer.Policy()
        policy.ejectOnStatuses = [502, 503]
        let configured = Balancer(endpoints: ["a"], policy: policy)
        #expect(configured.countsAsFailure(status: 503))
        #expect(!configured.countsAsFailure(status: 500))
    }
}
