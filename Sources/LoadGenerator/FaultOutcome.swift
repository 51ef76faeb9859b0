/// How one try of a request at one edge ended, as the client saw it.
public enum FaultAttempt: Sendable, Equatable {
    /// An answer: its status, `X-Cache` and `X-Storefront-Tenant` (each `nil` when absent), and whether the
    /// body names another tenant's domain (only looked at when the tenant header is absent).
    case answered(status: Int, cache: String?, tenant: String?, bodyNamesOtherTenant: Bool)
    /// No connection to this edge (refused, or no connection within the connect timeout): a load balancer
    /// sends the request to the next edge, so it is not a failure unless every edge refuses.
    case refused
    /// Accepted, but no complete answer before the request's deadline.
    case timeout
    /// Accepted, then closed or reset before a complete answer.
    case reset
    /// Accepted, then failed otherwise (e.g. `tls`: the handshake failed).
    case failed(String)
}

/// What a read or a write counts as in the fault report.
public enum FaultOutcome: Sendable, Equatable {
    /// Answered as asked: a read's 2xx (`stale` when `X-Cache: STALE`), a write's 201 or 200.
    case ok(stale: Bool)
    /// Failed, with the report's key: the status (`"502"`), `timeout`, `reset`, `refused` (every edge
    /// refused the connection) or another transport failure.
    case failed(String)

    /// A read's outcome: any 2xx is served; everything else failed.
    /// - Parameters:
    ///   - attempt: how the last try ended (a refused one only when every edge refused).
    public static func read(_ attempt: FaultAttempt) -> FaultOutcome {
        switch attempt {
        case .answered(let status, let cache, _, _):
            (200..<300).contains(status) ? .ok(stale: cache?.uppercased() == "STALE") : .failed(String(status))
        default:
            .failed(transportKey(attempt))
        }
    }

    /// A write's outcome: `201 Created` or `200 OK` (an idempotent replay) acknowledge the order;
    /// everything else failed.
    /// - Parameters:
    ///   - attempt: how the last try ended.
    public static func write(_ attempt: FaultAttempt) -> FaultOutcome {
        switch attempt {
        case .answered(let status, _, _, _):
            status == 201 || status == 200 ? .ok(stale: false) : .failed(String(status))
        default:
            .failed(transportKey(attempt))
        }
    }

    /// Whether an answer to a read for `tenantID` came from another tenant: its `X-Storefront-Tenant`
    /// names another tenant, or, without that header, its body names another tenant's domain.
    /// - Parameters:
    ///   - attempt: how the last try ended (only answers can cross).
    ///   - tenantID: the tenant the read asked for.
    public static func crossesTenant(_ attempt: FaultAttempt, askedFor tenantID: String) -> Bool {
        guard case .answered(_, _, let tenant, let bodyNamesOtherTenant) = attempt else { return false }
        if let tenant { return tenant != tenantID }
        return bodyNamesOtherTenant
    }

    private static func transportKey(_ attempt: FaultAttempt) -> String {
        switch attempt {
        case .answered(let status, _, _, _): String(status)
        case .refused: "refused"
        case .timeout: "timeout"
        case .reset: "reset"
        case .failed(let kind): kind
        }
    }
}

/// The order in which a request tries the edges: round-robin by request number, then each following edge
/// once when one refuses the connection (as a load balancer in front of them would).
public struct EdgeRotation: Sendable {
    /// How many edges there are.
    public let count: Int

    /// - Parameters:
    ///   - count: the number of edges (at least one).
    public init(count: Int) {
        precondition(count > 0)
        self.count = count
    }

    /// The edge indices request `number` tries, in order: `number % count` first, then the next ones.
    /// - Parameters:
    ///   - number: the request's sequence number (any non-negative integer).
    public func order(for number: Int) -> [Int] {
        (0..<count).map { (number + $0) % count }
    }
}
