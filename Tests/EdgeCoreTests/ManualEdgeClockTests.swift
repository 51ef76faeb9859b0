import EdgeCore
import Foundation
import Testing

/// The clock time-based tests run on: it reads the start it was given and moves only when told to.
@Suite struct ManualEdgeClockTests {
    /// A clock frozen at chosen readings, to start a manual clock from.
    struct FixedClock: EdgeClock {
        var nanoseconds: UInt64
        var wallSeconds: Int
    }

    /// It starts at the readings of the clock it is given and does not move on its own.
    @Test func startsAtTheGivenReadingsAndStaysThere() async throws {
        let clock = ManualEdgeClock(startingAt: FixedClock(nanoseconds: 42_000_000_000, wallSeconds: 1_800_000_000))
        #expect(clock.nanoseconds == 42_000_000_000)
        #expect(clock.wallSeconds == 1_800_000_000)
        try await Task.sleep(for: .milliseconds(20))  // Deliberate: real time passes, the manual clock must not.
        #expect(clock.nanoseconds == 42_000_000_000)
        #expect(clock.wallSeconds == 1_800_000_000)
    }

    /// By default it starts at the system's readings, so HTTP dates it produces are in the present.
    @Test func startsAtTheSystemClockByDefault() {
        let before = SystemEdgeClock().nanoseconds
        let clock = ManualEdgeClock()
        let after = SystemEdgeClock().nanoseconds
        #expect((before...after).contains(clock.nanoseconds))
        #expect(abs(clock.wallSeconds - Int(Date().timeIntervalSince1970)) <= 1)
    }

    /// Whole seconds move both clocks by the same amount.
    @Test func advanceMovesBothClocks() {
        let clock = ManualEdgeClock(startingAt: FixedClock(nanoseconds: 5_000_000_000, wallSeconds: 1_000))
        clock.advance(seconds: 60)
        #expect(clock.nanoseconds == 65_000_000_000)
        #expect(clock.wallSeconds == 1_060)
        clock.advance(seconds: 0)
        #expect(clock.nanoseconds == 65_000_000_000)
        #expect(clock.wallSeconds == 1_060)
    }

    /// Fractions move the monotonic clock exactly and the wall clock by the whole seconds crossed.
    @Test func fractionalSecondsMoveTheWallClockBySecondsCrossed() {
        let clock = ManualEdgeClock(startingAt: FixedClock(nanoseconds: 7_900_000_000, wallSeconds: 1_000))
        clock.advance(seconds: 0.05)
        #expect(clock.nanoseconds == 7_950_000_000)
        #expect(clock.wallSeconds == 1_000)
        clock.advance(seconds: 0.05)
        #expect(clock.nanoseconds == 8_000_000_000)
        #expect(clock.wallSeconds == 1_001)
        clock.advance(seconds: 0.5)
        clock.advance(seconds: 0.25)
        #expect(clock.nanoseconds == 8_750_000_000)
        #expect(clock.wallSeconds == 1_001)
        clock.advance(seconds: 2.25)
        #expect(clock.nanoseconds == 11_000_000_000)
        #expect(clock.wallSeconds == 1_004)
    }

    /// Ten tenths of a second make one second on both clocks.
    @Test func tenthsAddUpToASecond() {
        let clock = ManualEdgeClock(startingAt: FixedClock(nanoseconds: 0, wallSeconds: 0))
        for _ in 0..<10 { clock.advance(seconds: 0.1) }
        #expect(clock.nanoseconds == 1_000_000_000)
        #expect(clock.wallSeconds == 1)
    }

    /// Readers on other tasks see every advance: it is one shared clock, not a copy per reader.
    @Test func advancesAreSeenByConcurrentReaders() async {
        let clock = ManualEdgeClock(startingAt: FixedClock(nanoseconds: 0, wallSeconds: 0))
        await withTaskGroup(of: Void.self) { tasks in
            for _ in 0..<4 { tasks.addTask { for _ in 0..<250 { clock.advance(seconds: 1) } } }
        }
        #expect(clock.nanoseconds == 1_000_000_000_000)
        #expect(clock.wallSeconds == 1_000)
    }

    /// The system clock's monotonic reading never goes back, and its wall reading is the present.
    @Test func systemClockReadsTheMachinesClocks() {
        let clock = SystemEdgeClock()
        let first = clock.nanoseconds
        let second = clock.nanoseconds
        #expect(second >= first)
        #expect(abs(clock.wallSeconds - Int(Date().timeIntervalSince1970)) <= 1)
    }
}
