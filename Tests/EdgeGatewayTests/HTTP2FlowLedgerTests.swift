import Testing

@testable import EdgeGateway

@Suite struct HTTP2FlowLedgerTests {
    static let second: UInt64 = 1_000_000_000

    @Test func aStreamWaitingOnAUsedUpWindowStallsAfterTheLimit() {
        var ledger = HTTP2FlowLedger(stallLimit: 2 * Self.second)
        ledger.clientInitialWindow(1, now: 0)
        ledger.headersSent(stream: 1, endStream: false, now: 0)
        ledger.dataSent(stream: 1, length: 1, endStream: false, now: Self.second)
        #expect(ledger.anyExhausted)
        #expect(!ledger.stalled(at: 2 * Self.second))
        #expect(ledger.stalled(at: 3 * Self.second))
    }

    @Test func windowUpdatesAreProgress() {
        var ledger = HTTP2FlowLedger(stallLimit: 2 * Self.second)
        ledger.headersSent(stream: 1, endStream: false, now: 0)
        ledger.dataSent(stream: 1, length: HTTP2FlowLedger.defaultWindow, endStream: false, now: 0)
        ledger.windowUpdate(stream: 1, increment: 10, now: Self.second)
        ledger.windowUpdate(stream: 0, increment: 10, now: Self.second)
        #expect(!ledger.anyExhausted)
        ledger.dataSent(stream: 1, length: 10, endStream: false, now: Self.second)
        #expect(!ledger.stalled(at: 2 * Self.second))
        #expect(ledger.stalled(at: 3 * Self.second), "used up again at 1 s, nothing since")
    }

    @Test func endedAndClosedStreamsNeverStall() {
        var ledger = HTTP2FlowLedger(stallLimit: Self.second)
        ledger.clientInitialWindow(0, now: 0)
        ledger.headersSent(stream: 1, endStream: true, now: 0)
        ledger.headersSent(stream: 3, endStream: false, now: 0)
        ledger.streamClosed(3)
        #expect(ledger.openResponses == 0)
        #expect(!ledger.stalled(at: 10 * Self.second))
    }

    @Test func theConnectionWindowStallsToo() {
        var ledger = HTTP2FlowLedger(stallLimit: Self.second)
        ledger.clientInitialWindow(1 << 20, now: 0)
        ledger.headersSent(stream: 1, endStream: false, now: 0)
        ledger.dataSent(stream: 1, length: HTTP2FlowLedger.defaultWindow, endStream: false, now: 0)
        #expect(ledger.connectionWindow == 0)
        #expect(ledger.stalled(at: Self.second))
    }

    @Test func aLargerInitialWindowFreesOpenStreams() {
        var ledger = HTTP2FlowLedger(stallLimit: Self.second)
        ledger.clientInitialWindow(10, now: 0)
        ledger.headersSent(stream: 1, endStream: false, now: 0)
        ledger.dataSent(stream: 1, length: 10, endStream: false, now: 0)
        #expect(ledger.anyExhausted)
        ledger.clientInitialWindow(100, now: 0)
        #expect(!ledger.anyExhausted)
    }

    @Test func aLastFrameBeyondTheWindowIsStillOwed() {
        var ledger = HTTP2FlowLedger(stallLimit: Self.second)
        ledger.clientInitialWindow(1, now: 0)
        ledger.headersSent(stream: 1, endStream: false, now: 0)
        ledger.dataSent(stream: 1, length: 20_000, endStream: true, now: 0)
        #expect(ledger.openResponses == 1, "the HTTP/2 handler holds 19,999 bytes of it")
        #expect(ledger.stalled(at: Self.second))
        ledger.windowUpdate(stream: 1, increment: 19_999, now: Self.second)
        #expect(ledger.openResponses == 0, "sent whole once the window took it")
    }

    @Test func aWholeResponseWithinTheWindowIsDone() {
        var ledger = HTTP2FlowLedger(stallLimit: Self.second)
        ledger.headersSent(stream: 1, endStream: false, now: 0)
        ledger.dataSent(stream: 1, length: 1000, endStream: true, now: 0)
        #expect(ledger.openResponses == 0)
    }

    @Test func wholeResponsesBeyondTheConnectionWindowStallIt() {
        var ledger = HTTP2FlowLedger(stallLimit: Self.second)
        ledger.clientInitialWindow(1 << 20, now: 0)
        ledger.headersSent(stream: 1, endStream: false, now: 0)
        ledger.dataSent(stream: 1, length: 70_000, endStream: true, now: 0)
        #expect(ledger.openResponses == 0, "it fit its stream's window")
        #expect(ledger.stalled(at: Self.second), "4,465 bytes owed on the connection, no WINDOW_UPDATE")
        ledger.windowUpdate(stream: 0, increment: 10_000, now: Self.second)
        #expect(!ledger.stalled(at: 5 * Self.second))
    }
}
