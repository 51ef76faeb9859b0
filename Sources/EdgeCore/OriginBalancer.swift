/// Which origin instance gets the next request: least outstanding requests among the usable ones, with
/// active health (probes) and passive outlier ejection (consecutive failures) deciding what is usable.
///
/// Pure state and decisions; the edge keeps one behind a lock and calls it twice per origin request
/// (``acquire(now:excluding:)`` and ``release(_:outcome:now:)``), never on the cache-hit path.
public struct OriginBalancer<Endpoint: Hashable & Sendable>: Sendable {
    /// When a member is taken out of rotation.
    public struct Policy: Sendable {
        /// Consecutive failures (connect errors, timeouts, 502/503/504) that eject a member.
        public var ejectAfterFailures = 3
        /// How long an ejection lasts the first time; each further ejection in a row doubles it.
        public var ejectionNanoseconds: UInt64 = 5_000_000_000
        /// The longest ejection.
        public var maximumEjectionNanoseconds: UInt64 = 60_000_000_000
        /// Failed probes in a row that mark a member unhealthy; one good probe marks it healthy again.
        public var unhealthyAfterProbes = 2

        public init() {}
    }

    /// How a request to a member ended.
    public enum Outcome: Sendable {
        case success
        /// Could not connect, timed out, or the origin answered 502/503/504.
        case failure
    }

    /// One origin instance as the balancer sees it.
    public struct Member: Sendable, Equatable {
        public let endpoint: Endpoint
        public fileprivate(set) var outstanding = 0
        public fileprivate(set) var consecutiveFailures = 0
        public fileprivate(set) var ejections = 0
        public fileprivate(set) var ejectedUntil: UInt64 = 0
        public fileprivate(set) var failedProbes = 0
        public fileprivate(set) var healthy = true
        public fileprivate(set) var requests = 0

        init(endpoint: Endpoint) { self.endpoint = endpoint }

        func usable(now: UInt64) -> Bool { healthy && ejectedUntil <= now }
    }

    public let policy: Policy
    public private(set) var members: [Member] = []
    private var nextStart = 0

    public init(endpoints: [Endpoint], policy: Policy = Policy()) {
        self.policy = policy
        update(endpoints)
    }

    /// Replaces the member list; members that stay keep their state (outstanding requests, ejection).
    public mutating func update(_ endpoints: [Endpoint]) {
        var seen = Set<Endpoint>()
        members = endpoints.compactMap { endpoint in
            guard seen.insert(endpoint).inserted else { return nil }
            return members.first { $0.endpoint == endpoint } ?? Member(endpoint: endpoint)
        }
    }

    /// Picks the usable member with the fewest outstanding requests (ties go round-robin) and counts the
    /// request against it; `nil` when no member is usable.
    /// - Parameters:
    ///   - now: monotonic nanoseconds.
    ///   - excluding: members already tried for this request.
    public mutating func acquire(now: UInt64, excluding: Set<Endpoint> = []) -> Endpoint? {
        guard !members.isEmpty else { return nil }
        var best: Int?
        let count = members.count
        for step in 0..<count {
            let index = (nextStart + step) % count
            let member = members[index]
            guard member.usable(now: now), !excluding.contains(member.endpoint) else { continue }
            if best == nil || member.outstanding < members[best!].outstanding { best = index }
        }
        nextStart = (nextStart + 1) % count
        guard let best else { return nil }
        members[best].outstanding += 1
        members[best].requests += 1
        return members[best].endpoint
    }

    /// Ends a request counted by ``acquire(now:excluding:)``.
    public mutating func release(_ endpoint: Endpoint, outcome: Outcome, now: UInt64) {
        guard let index = members.firstIndex(where: { $0.endpoint == endpoint }) else { return }
        members[index].outstanding = max(0, members[index].outstanding - 1)
        record(index, outcome: outcome, now: now)
    }

    /// Records a failure that happened without an acquired request (e.g. a connect error on a retry path).
    private mutating func record(_ index: Int, outcome: Outcome, now: UInt64) {
        switch outcome {
        case .success:
            members[index].consecutiveFailures = 0
            if members[index].ejectedUntil <= now { members[index].ejections = 0 }
        case .failure:
            members[index].consecutiveFailures += 1
            if members[index].consecutiveFailures >= policy.ejectAfterFailures, members[index].ejectedUntil <= now {
                let shift = UInt64(min(members[index].ejections, 16))
                let duration = min(policy.ejectionNanoseconds << shift, policy.maximumEjectionNanoseconds)
                members[index].ejectedUntil = now + duration
                members[index].ejections += 1
                members[index].consecutiveFailures = 0
            }
        }
    }

    /// Records an active health probe.
    public mutating func probed(_ endpoint: Endpoint, healthy: Bool) {
        guard let index = members.firstIndex(where: { $0.endpoint == endpoint }) else { return }
        if healthy {
            members[index].failedProbes = 0
            members[index].healthy = true
        } else {
            members[index].failedProbes += 1
            if members[index].failedProbes >= policy.unhealthyAfterProbes { members[index].healthy = false }
        }
    }

    /// Members usable now.
    public func usableCount(now: UInt64) -> Int { members.filter { $0.usable(now: now) }.count }
}
