/// A Redis stream entry id, `<milliseconds>-<sequence>`, ordered as Redis orders them.
public struct StreamEntryID: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    /// The id before every entry (`0-0`).
    public static let zero = StreamEntryID(milliseconds: 0, sequence: 0)

    /// - Parameters:
    ///   - milliseconds: the time part.
    ///   - sequence: the sequence within that millisecond.
    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `<ms>-<seq>` (or `<ms>`, sequence 0); `nil` for anything else.
    /// - Parameter text: the id as Redis writes it.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let milliseconds = UInt64(parts[0]) else { return nil }
        let sequence = parts.count == 2 ? UInt64(parts[1]) : 0
        guard let sequence else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    public var description: String { "\(milliseconds)-\(sequence)" }

    public static func < (lhs: StreamEntryID, rhs: StreamEntryID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

/// Where an edge stands in the purge stream: the stream's epoch (a random id created once per stream's life)
/// and the last entry whose purge the edge applied. Kept in memory; a restarted edge starts with an empty
/// cache and no position.
public struct PurgeStreamPosition: Sendable, Equatable {
    public var epoch: String
    public var lastApplied: StreamEntryID

    /// - Parameters:
    ///   - epoch: the epoch the position belongs to.
    ///   - lastApplied: the last entry applied.
    public init(epoch: String, lastApplied: StreamEntryID) {
        self.epoch = epoch
        self.lastApplied = lastApplied
    }
}

/// Decides, each time an edge (re)connects to the purge stream, whether it can catch up on every purge it
/// missed by reading on from its position, or cannot know what it missed and must drop its whole cache.
///
/// It cannot know when: it never had a position (it may have cached while Redis was unreachable at start),
/// the epoch changed (Redis lost the stream: restarted without persistence, or flushed), the stream was
/// trimmed past its position (entries it never read are gone), or the stream is behind its position (the
/// stream was deleted and started again). Purge events do not tell which tenants the lost entries were for,
/// so the drop covers every tenant. Dropping rather than marking stale: a stale object may still be served
/// under stale-while-revalidate or stale-if-error, which is exactly what a missed purge must not allow.
public enum PurgeStreamSync {
    /// What the edge read from Redis on connecting.
    public struct Observed: Sendable, Equatable {
        /// The stream's epoch now (created with `SET NX` if absent).
        public var epoch: String
        /// The last id ever added to the stream; `0-0` if the stream does not exist.
        public var lastGenerated: StreamEntryID
        /// The highest id ever trimmed or deleted; `0-0` if none (or the stream does not exist).
        public var maxDeleted: StreamEntryID

        /// - Parameters:
        ///   - epoch: the epoch now.
        ///   - lastGenerated: the stream's last generated id.
        ///   - maxDeleted: the stream's highest deleted id.
        public init(epoch: String, lastGenerated: StreamEntryID, maxDeleted: StreamEntryID) {
            self.epoch = epoch
            self.lastGenerated = lastGenerated
            self.maxDeleted = maxDeleted
        }
    }

    /// Why the edge cannot vouch for its cache.
    public enum DropReason: String, Sendable, Equatable {
        case noPosition = "no position in the stream yet"
        case epochChanged = "the stream was lost (new epoch)"
        case trimmedPastPosition = "entries after the last one applied were trimmed"
        case streamBehindPosition = "the stream restarted below the last id applied"
    }

    /// What to do.
    public enum Decision: Sendable, Equatable {
        /// Read on after `position`: every purge missed is still in the stream.
        case resume(PurgeStreamPosition)
        /// Drop every cached object of every tenant, then read on after `position` (the stream's end as
        /// observed before the drop, so nothing added meanwhile is skipped).
        case dropAll(DropReason, then: PurgeStreamPosition)
    }

    /// The decision on connecting.
    /// - Parameters:
    ///   - position: the edge's position, `nil` if it never had one.
    ///   - observed: what Redis says now.
    public static func connected(at position: PurgeStreamPosition?, observed: Observed) -> Decision {
        let end = PurgeStreamPosition(epoch: observed.epoch, lastApplied: observed.lastGenerated)
        guard let position else { return .dropAll(.noPosition, then: end) }
        if position.epoch != observed.epoch { return .dropAll(.epochChanged, then: end) }
        if observed.lastGenerated < position.lastApplied { return .dropAll(.streamBehindPosition, then: end) }
        if observed.maxDeleted > position.lastApplied { return .dropAll(.trimmedPastPosition, then: end) }
        return .resume(position)
    }
}
