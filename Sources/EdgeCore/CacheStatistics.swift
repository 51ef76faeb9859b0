import Shared
import Synchronization

/// Per-tenant request counters of the edge, and the hit ratio over a sliding window.
///
/// Counting takes one short lock per request (no I/O under it). The window is six 10-second slots, so the
/// ratio covers the last 50–60 seconds.
public final class CacheStatistics: Sendable {
    /// What happened to one request, as `X-Cache` reports it.
    public enum Outcome: String, CaseIterable, Sendable {
        case hit = "HIT"
        case miss = "MISS"
        case pass = "PASS"
        /// Served from another request's fetch (also counted as a hit).
        case coalesced = "COALESCED"
        /// A stale copy served (stale-while-revalidate or stale-if-error; counted as a hit).
        case stale = "STALE"

        /// The `X-Cache` value: a coalesced request was served from the cache's one fetch, a hit to the client.
        public var header: String { self == .coalesced ? "HIT" : rawValue }
    }

    /// Totals since start for one tenant.
    public struct Counters: Sendable, Equatable {
        public var hits = 0
        public var misses = 0
        public var passes = 0
        public var coalesced = 0
        public var stale = 0
        /// Origin responses stamped for another tenant, dropped (never stored, never served).
        public var foreignTenantResponses = 0
        /// Origin responses without the tenant stamp, served but not stored (production mode).
        public var unstampedResponses = 0

        public init(hits: Int = 0, misses: Int = 0, passes: Int = 0, coalesced: Int = 0, stale: Int = 0) {
            self.hits = hits
            self.misses = misses
            self.passes = passes
            self.coalesced = coalesced
            self.stale = stale
        }
    }

    private struct Window {
        var slotStart: [UInt64] = Array(repeating: 0, count: 6)
        var hits: [Int] = Array(repeating: 0, count: 6)
        var lookups: [Int] = Array(repeating: 0, count: 6)
    }

    private struct State {
        var totals: [TenantID: Counters] = [:]
        var windows: [TenantID: Window] = [:]
    }

    private static let slotNanoseconds: UInt64 = 10_000_000_000
    private let state = Mutex(State())

    public init() {}

    /// Counts one request.
    /// - Parameters:
    ///   - outcome: what happened.
    ///   - tenant: whose request it was.
    ///   - now: monotonic time in nanoseconds.
    public func record(_ outcome: Outcome, tenant: TenantID, now: UInt64) {
        let slotStart = now - now % Self.slotNanoseconds
        let slot = Int((now / Self.slotNanoseconds) % 6)
        state.withLock { state in
            switch outcome {
            case .hit: state.totals[tenant, default: .init()].hits += 1
            case .miss: state.totals[tenant, default: .init()].misses += 1
            case .pass: state.totals[tenant, default: .init()].passes += 1
            case .coalesced: state.totals[tenant, default: .init()].coalesced += 1
            case .stale: state.totals[tenant, default: .init()].stale += 1
            }
            guard outcome != .pass else { return }
            var window = state.windows[tenant] ?? Window()
            if window.slotStart[slot] != slotStart {
                window.slotStart[slot] = slotStart
                window.hits[slot] = 0
                window.lookups[slot] = 0
            }
            window.lookups[slot] += 1
            if outcome != .miss { window.hits[slot] += 1 }
            state.windows[tenant] = window
        }
    }

    /// Counts an origin response for `tenant`'s request that the origin stamped for another tenant.
    public func recordForeignTenantResponse(tenant: TenantID) {
        state.withLock { $0.totals[tenant, default: .init()].foreignTenantResponses += 1 }
    }

    /// Counts an origin response for `tenant`'s request that was served, not stored, for want of the tenant stamp.
    public func recordUnstampedResponse(tenant: TenantID) {
        state.withLock { $0.totals[tenant, default: .init()].unstampedResponses += 1 }
    }

    /// Totals per tenant.
    public var totals: [TenantID: Counters] { state.withLock { $0.totals } }

    /// Hits over cacheable requests in the last minute, per tenant with any such request.
    /// - Parameter now: monotonic time in nanoseconds.
    public func hitRatios(now: UInt64) -> [TenantID: Double] {
        let oldest = now >= 6 * Self.slotNanoseconds ? now - 6 * Self.slotNanoseconds : 0
        return state.withLock { state in
            var ratios: [TenantID: Double] = [:]
            for (tenant, window) in state.windows {
                var hits = 0
                var lookups = 0
                for slot in 0..<6 where window.slotStart[slot] > oldest || (oldest == 0 && window.lookups[slot] > 0) {
                    hits += window.hits[slot]
                    lookups += window.lookups[slot]
                }
                if lookups > 0 { ratios[tenant] = Double(hits) / Double(lookups) }
            }
            return ratios
        }
    }
}
