/// Which origin instance gets the next request: least outstanding requests among the usable ones, with
/// active health (probes) and passive outlier ejection (consecutive failures) deciding what is usable.
///
/// An origin's 5xx is usually one tenant's or one page's application error, not a dead host: by default only
/// failures to get an answer (connect errors, resets, timeouts) count towards ejection, and statuses only when
/// configured (``Policy/ejectOnStatuses``). And the pool never ejects its way to nothing: below
/// ``Policy/panicThreshold`` of members usable, every member is used again (Envoy's panic mode), so the
/// last origin standing keeps receiving requests.
///
/// Pure state and decisions; the edge keeps one behind a lock and calls it twice per origin request
/// (``acquire(now:excluding:)`` and ``release(_:outcome:now:)``), never on the cache-hit path.
public struct OriginBalancer<Endpoint: Hashable & Sendable>: Sendable {
    /// When a member is taken out of rotation.
    public struct Policy: Sendable {
        /// Consecutive failures (connect errors, resets, timeouts, and ``ejectOnStatuses``) that eject a member.
        public var ejectAfterFailures = 3
        /// Response statuses that count as failures towards ejection; none by default.
        public var ejectOnStatuses: Set<Int> = []
        /// Below this fraction of members usable, every member is used (healthy or not, ejected or not):
        /// ejection never takes the last origins away. 0 turns panic mode off.
        public var panicThreshold = 0.5
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
        /// No answer (could not connect, reset, timed out), or a status in ``Policy/ejectOnStatuses``.
        case failure
    }

    /// Whether an answer with `status` counts as a failure towards ejection.
    /// - Parameter status: the response's status code.
    public func countsAsFailure(status: Int) -> Bool { policy.ejectOnStatuses.contains(status) }

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
    /// request against it; in panic mode (too few usable) any member; `nil` when none is left to try.
    /// - Parameters:
    ///   - now: monotonic nanoseconds.
    ///   - excluding: members already tried for this request.
    public mutating func acquire(now: UInt64, excluding: Set<Endpoint> = []) -> Endpoint? {
        guard !members.isEmpty else { return nil }
        var best: Int?
        let count = members.count
        let panicking = Double(usableCount(now: now)) < policy.panicThreshold * Double(count)
        for step in 0..<count {
            let index = (nextStart + step) % count
            let member = members[index]
            guard panicking || member.usable(now: now), !excluding.contains(member.endpoint) else { continue }
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
