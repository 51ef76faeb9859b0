import EdgeCore
import Testing

/// When an edge reconnects to the purge stream: catch up from its position, or drop its cache.
@Suite struct PurgeStreamSyncTests {
    static func id(_ text: String) -> StreamEntryID { StreamEntryID(text)! }
    static let position = PurgeStreamPosition(epoch: "e1", lastApplied: id("100-3"))

    /// Ids parse and order as Redis orders them.
    @Test func entryIDs() {
        #expect(Self.id("100-3") < Self.id("100-10"))
        #expect(Self.id("99-50") < Self.id("100-0"))
        #expect(StreamEntryID("100") == Self.id("100-0"))
        #expect(Self.id("100-3").description == "100-3")
        for bad in ["", "-", "a-1", "1-b", "1-2-3", "-1"] { #expect(StreamEntryID(bad) == nil, "\(bad)") }
    }

    /// Same epoch, nothing trimmed past the position: read on from it.
    @Test func resumesWhenNothingWasLost() {
        let observed = PurgeStreamSync.Observed(epoch: "e1", lastGenerated: Self.id("200-0"), maxDeleted: Self.id("100-3"))
        #expect(PurgeStreamSync.connected(at: Self.position, observed: observed) == .resume(Self.position))
    }

    /// Nothing new since the position: read on from it.
    @Test func resumesAtTheEnd() {
        let observed = PurgeStreamSync.Observed(epoch: "e1", lastGenerated: Self.id("100-3"), maxDeleted: .zero)
        #expect(PurgeStreamSync.connected(at: Self.position, observed: observed) == .resume(Self.position))
    }

    /// Each case the edge cannot vouch for drops everything and reads on from the stream's end.
    @Test func dropsWhenItCannotKnow() {
        let cases: [(PurgeStreamPosition?, PurgeStreamSync.Observed, PurgeStreamSync.DropReason)] = [
            (nil, .init(epoch: "e1", lastGenerated: Self.id("200-0"), maxDeleted: .zero), .noPosition),
            (Self.position, .init(epoch: "e2", lastGenerated: Self.id("200-0"), maxDeleted: .zero), .epochChanged),
            (Self.position, .init(epoch: "e1", lastGenerated: Self.id("200-0"), maxDeleted: Self.id("100-4")), .trimmedPastPosition),
            (Self.position, .init(epoch: "e1", lastGenerated: .zero, maxDeleted: .zero), .streamBehindPosition),
        ]
        for (position, observed, reason) in cases {
            let end = PurgeStreamPosition(epoch: observed.epoch, lastApplied: observed.lastGenerated)
            #expect(PurgeStreamSync.connected(at: position, observed: observed) == .dropAll(reason, then: end), "\(reason)")
        }
    }
}
