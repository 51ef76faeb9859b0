import Shared
import Testing

@Suite struct TraceParentTests {
    let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func parsesAndPrintsAValidValue() throws {
        let trace = try #require(TraceParent(parsing: valid))
        #expect(trace.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(trace.parentID == "00f067aa0ba902b7")
        #expect(trace.flags == 1)
        #expect(trace.description == valid)
    }

    @Test(arguments: [
        "", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
    ])
    func refusesInvalidValues(_ value: String) {
        #expect(TraceParent(parsing: value) == nil)
    }

    @Test func childKeepsTheTraceAndFlagsWithANewSpan() throws {
        var random = SystemRandomNumberGenerator()
        let trace = try #require(TraceParent(parsing: valid))
        let child = trace.child(using: &random)
        #expect(child.traceID == trace.traceID)
        #expect(child.flags == trace.flags)
        #expect(child.parentID != trace.parentID)
        #expect(TraceParent(parsing: child.description) == child)
        let started = TraceParent.startingTrace(using: &random)
        #expect(TraceParent(parsing: started.description) == started)
        #expect(started.traceID != TraceParent.startingTrace(using: &random).traceID)
    }
}
