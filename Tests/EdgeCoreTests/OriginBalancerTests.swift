import EdgeCore
import Testing

@Suite struct OriginBalancerTests {
    typealias Balancer = OriginBalancer<String>

    @Test func leastOutstandingWins() {
        var balancer = Balancer(endpoints: ["a", "b", "c"])
        let first = balancer.acquire(now: 0)
        let second = balancer.acquire(now: 0)
        let third = balancer.acquire(now: 0)
        #expect(Set([first, second, third]) == ["a", "b", "c"])
        balancer.release("b", outcome: .success, now: 0)
        // b has nothing outstanding now: it gets the next two requests' first.
        #expect(balancer.acquire(now: 0) == "b")
    }

    @Test func consecutiveFailuresEjectThenReadmit() {
        var policy = Balancer.Policy()
        policy.ejectAfterFailures = 2
        policy.ejectionNanoseconds = 100
        var balancer = Balancer(endpoints: ["a", "b"], policy: policy)
        for _ in 0..<2 {
            balancer.release("a", outcome: .failure, now: 10)
        }
        for _ in 0..<5 {
            #expect(balancer.acquire(now: 50) == "b")
            balancer.release("b", outcome: .success, now: 50)
        }
        #expect(balancer.usableCount(now: 50) == 1)
        // After the ejection, a is back; failing again doubles the ejection.
        #expect(balancer.usableCount(now: 111) == 2)
        balancer.release("a", outcome: .failure, now: 120)
        balancer.release("a", outcome: .failure, now: 120)
        #expect(balancer.usableCount(now: 300) == 1)
        #expect(balancer.usableCount(now: 321) == 2)
    }

    @Test func successResetsTheFailureCount() {
        var policy = Balancer.Policy()
        policy.ejectAfterFailures = 2
        var balancer = Balancer(endpoints: ["a"], policy: policy)
        balancer.release("a", outcome: .failure, now: 0)
        balancer.release("a", outcome: .success, now: 0)
        balancer.release("a", outcome: .failure, now: 0)
        #expect(balancer.usableCount(now: 1) == 1)
    }

    @Test func failedProbesTakeAMemberOut() {
        var balancer = Balancer(endpoints: ["a", "b"])
        balancer.probed("a", healthy: false)
        #expect(balancer.usableCount(now: 0) == 2)
        balancer.probed("a", healthy: false)
        #expect(balancer.usableCount(now: 0) == 1)
        for _ in 0..<4 { #expect(balancer.acquire(now: 0) == "b") }
        balancer.probed("a", healthy: true)
        #expect(balancer.usableCount(now: 0) == 2)
    }

    /// With panic mode off, a pool with no usable member has nothing to offer.
    @Test func nothingUsableMeansNil() {
        var policy = Balancer.Policy()
        policy.panicThreshold = 0
        var balancer = Balancer(endpoints: ["a"], policy: policy)
        balancer.probed("a", healthy: false)
        balancer.probed("a", healthy: false)
        #expect(balancer.acquire(now: 0) == nil)
        #expect(Balancer(endpoints: []).members.isEmpty)
        var other = Balancer(endpoints: ["a", "b"])
        #expect(other.acquire(now: 0, excluding: ["a", "b"]) == nil)
    }

    @Test func updateKeepsStateOfMembersThatStay() {
        var balancer = Balancer(endpoints: ["a", "b"])
        _ = balancer.acquire(now: 0)
        let busy = balancer.members.first { $0.outstanding == 1 }!.endpoint
        balancer.update([busy, "c", "c"])
        #expect(balancer.members.map(\.endpoint) == [busy, "c"])
        #expect(balancer.members[0].outstanding == 1)
        #expect(balancer.acquire(now: 0) == "c")
    }
}
