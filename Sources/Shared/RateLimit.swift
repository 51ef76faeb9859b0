import Foundation

/// A rate as a token bucket: `perSecond` sustained, up to `burst` at once.
public struct RateLimit: Codable, Sendable, Hashable {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Parses `<rate>/s`, `<rate>/min` or `<rate>/h` with an optional `,burst=<n>` (default: one second's
    /// worth, at least 1), e.g. `50/s,burst=500` or `10/min`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let rate = parts.first, let slash = rate.firstIndex(of: "/"), let count = Double(rate[..<slash]), count > 0 else {
            return nil
        }
        let seconds: Double
        switch rate[rate.index(after: slash)...] {
        case "s": seconds = 1
        case "min": seconds = 60
        case "h": seconds = 3600
        default: return nil
        }
        perSecond = count / seconds
        burst = max(1, perSecond.rounded(.up))
        for part in parts.dropFirst() {
            guard part.hasPrefix("burst="), let value = Double(part.dropFirst(6)), value >= 1 else { return nil }
            burst = value
        }
    }

    /// Whether the values are usable: a positive rate and a burst of at least one request.
    public var isValid: Bool { perSecond > 0 && perSecond.isFinite && burst >= 1 && burst <= 1_000_000 }
}

/// A tenant's request rate limits at each edge, where they differ from the edge's defaults. Each edge
/// enforces them alone (no coordination on the hot path): a fleet of N edges admits up to N times these.
public struct TenantRateLimits: Codable, Sendable, Hashable {
    /// Requests to the origin (misses, passes, revalidations) per client address.
    public var perClient: RateLimit?
    /// Requests to the origin for the whole tenant at this edge.
    public var perTenant: RateLimit?
    /// Whether cache hits count towards ``perClient`` and ``perTenant`` too (they cost the origin nothing).
    public var countCacheHits: Bool?
    /// Failed logins (a 401 or 403 answering a request with credentials) per client address.
    public var failedLogins: RateLimit?

    public init(perClient: RateLimit? = nil, perTenant: RateLimit? = nil, countCacheHits: Bool? = nil, failedLogins: RateLimit? = nil) {
        self.perClient = perClient
        self.perTenant = perTenant
        self.countCacheHits = countCacheHits
        self.failedLogins = failedLogins
    }

    /// Whether every rate given is usable.
    public var isValid: Bool { [perClient, perTenant, failedLogins].allSatisfy { $0?.isValid ?? true } }
}
