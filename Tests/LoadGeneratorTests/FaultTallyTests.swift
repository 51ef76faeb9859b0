import Foundation
import LoadGenerator
import Testing

@Suite struct FaultTallyTests {
    private func answer(_ status: Int, cache: String? = nil, tenant: String? = "alpine") -> FaultAttempt {
        .answered(status: status, cache: cache, tenant: tenant, bodyNamesOtherTenant: false)
    }

    /// Reads add up: sent = ok + failed by status, stale and rerouted among them, cached + uncached = sent.
    @Test func readsAddUp() {
        var tally = FaultTally(keyPrefix: "p")
        tally.recordRead(answer(200, cache: "HIT"), cached: true, rerouted: false, tenantID: "alpine", sentAt: 0.1)
        tally.recordRead(answer(200, cache: "STALE"), cached: true, rerouted: true, tenantID: "alpine", sentAt: 0.5)
        tally.recordRead(answer(502), cached: false, rerouted: false, tenantID: "alpine", sentAt: 1.2)
        tally.recordRead(.timeout, cached: true, rerouted: false, tenantID: "alpine", sentAt: 2.7)
        tally.recordRead(.refused, cached: false, rerouted: true, tenantID: "alpine", sentAt: 3.0)
        let reads = tally.report(seconds: 4, timeline: false).reads
        #expect(reads.sent == 5 && reads.ok == 2 && reads.stale == 1 && reads.rerouted == 2)
        #expect(reads.failedByStatus == ["502": 1, "timeout": 1, "refused": 1])
        #expect(reads.sent == reads.ok + reads.failedByStatus.values.reduce(0, +))
        #expect(reads.cached == FaultReport.Share(sent: 3, failed: 1))
        #expect(reads.uncached == FaultReport.Share(sent: 2, failed: 2))
    }

    /// An answer stamped for another tenant is counted, whatever its status.
    @Test func crossTenantAnswersCounted() {
        var tally = FaultTally(keyPrefix: "p")
        tally.recordRead(answer(200, tenant: "harbor"), cached: true, rerouted: false, tenantID: "alpine", sentAt: 0)
        tally.recordRead(answer(200, tenant: "alpine"), cached: true, rerouted: false, tenantID: "alpine", sentAt: 0)
        #expect(tally.report(seconds: 1, timeline: false).crossTenant == 1)
    }

    /// Failed orders are retried once: recovered ones join the acknowledged keys, the rest are the failed
    /// keys; keys are in order of their numbers; a retry of an order that did not fail changes nothing.
    @Test func writesAndRetries() {
        var tally = FaultTally(keyPrefix: "s4-17")
        tally.recordWrite(number: 1, answer(201), rerouted: false, sentAt: 0)
        tally.recordWrite(number: 2, answer(503), rerouted: false, sentAt: 0.5)
        tally.recordWrite(number: 3, .timeout, rerouted: true, sentAt: 1.0)
        tally.recordWrite(number: 4, answer(200), rerouted: false, sentAt: 1.5)
        tally.recordWrite(number: 10, .reset, rerouted: false, sentAt: 4.5)
        #expect(tally.ordersToRetry == [2, 3, 10])
        tally.recordRetry(number: 3, answer(200))
        tally.recordRetry(number: 3, answer(200))
        tally.recordRetry(number: 2, answer(503))
        tally.recordRetry(number: 1, answer(503))
        let report = tally.report(seconds: 5, timeline: false)
        #expect(report.writes.sent == 5 && report.writes.acknowledged == 2 && report.writes.rerouted == 1)
        #expect(report.writes.failedByStatus == ["503": 1, "timeout": 1, "reset": 1])
        #expect(report.writes.recoveredByRetry == 1 && report.writes.stillFailed == 2)
        #expect(report.acknowledgedKeys == ["s4-17-1", "s4-17-3", "s4-17-4"])
        #expect(report.failedKeys == ["s4-17-2", "s4-17-10"])
    }

    /// The failure window spans the first and last failed request (reads and writes) by when they were sent.
    @Test func failureWindow() {
        var tally = FaultTally(keyPrefix: "p")
        #expect(tally.report(seconds: 1, timeline: false).firstFailureAt == nil)
        tally.recordRead(answer(200), cached: true, rerouted: false, tenantID: "alpine", sentAt: 0.2)
        tally.recordRead(answer(502), cached: false, rerouted: false, tenantID: "alpine", sentAt: 3.25)
        tally.recordWrite(number: 1, answer(503), rerouted: false, sentAt: 1.5)
        tally.recordRead(answer(200), cached: true, rerouted: false, tenantID: "alpine", sentAt: 9)
        let report = tally.report(seconds: 10, timeline: false)
        #expect(report.firstFailureAt == 1.5 && report.lastFailureAt == 3.25)
    }

    /// One entry per second from 0 to the last second with a request, empty seconds as zeros; only with
    /// the timeline asked for.
    @Test func timeline() {
        var tally = FaultTally(keyPrefix: "p")
        tally.recordRead(answer(200), cached: true, rerouted: false, tenantID: "alpine", sentAt: 0.3)
        tally.recordRead(answer(200, cache: "STALE"), cached: true, rerouted: false, tenantID: "alpine", sentAt: 0.9)
        tally.recordWrite(number: 1, answer(503), rerouted: false, sentAt: 2.1)
        tally.recordRead(.reset, cached: false, rerouted: false, tenantID: "alpine", sentAt: 2.8)
        #expect(tally.report(seconds: 3, timeline: false).timeline.isEmpty)
        let timeline = tally.report(seconds: 3, timeline: true).timeline
        #expect(
            timeline == [
                FaultReport.Second(t: 0, ok: 2, failed: 0, stale: 1),
                FaultReport.Second(t: 1),
                FaultReport.Second(t: 2, ok: 0, failed: 2, stale: 0, writesOk: 0, writesFailed: 1),
            ]
        )
    }

    /// The JSON has exactly the interface's keys, with null failure times when nothing failed.
    @Test func jsonKeys() throws {
        let report = FaultTally(keyPrefix: "p").report(seconds: 1, timeline: true)
        let object = try #require(try JSONSerialization.jsonObject(with: try report.json()) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "reads", "crossTenant", "writes", "acknowledgedKeys", "failedKeys", "firstFailureAt", "lastFailureAt", "timeline",
                "seconds", "startedAt",
            ]
        )
        #expect(object["firstFailureAt"] is NSNull && object["lastFailureAt"] is NSNull)
        let reads = try #require(object["reads"] as? [String: Any])
        #expect(Set(reads.keys) == ["sent", "ok", "rerouted", "stale", "failedByStatus", "cached", "uncached"])
        let writes = try #require(object["writes"] as? [String: Any])
        #expect(Set(writes.keys) == ["sent", "acknowledged", "rerouted", "failedByStatus", "recoveredByRetry", "stillFailed"])
        #expect(try JSONDecoder().decode(FaultReport.self, from: try report.json()) == report)
    }
}
