import LoadGenerator
import Testing
import UpstreamHTTP

@Suite struct FaultOutcomeTests {
    private func answer(_ status: Int, cache: String? = nil, tenant: String? = nil, namesOther: Bool = false) -> FaultAttempt {
        .answered(status: status, cache: cache, tenant: tenant, bodyNamesOtherTenant: namesOther)
    }

    /// A read's 2xx is ok, stale when X-Cache says STALE; any other status fails under its number.
    @Test func readsByStatus() {
        #expect(FaultOutcome.read(answer(200, cache: "HIT")) == .ok(stale: false))
        #expect(FaultOutcome.read(answer(200, cache: "STALE")) == .ok(stale: true))
        #expect(FaultOutcome.read(answer(203)) == .ok(stale: false))
        #expect(FaultOutcome.read(answer(502, cache: "MISS")) == .failed("502"))
        #expect(FaultOutcome.read(answer(404)) == .failed("404"))
        #expect(FaultOutcome.read(answer(308)) == .failed("308"))
    }

    /// Without an answer the transport's kind is the key: timeout, reset, refused (every edge refused), tls.
    @Test func transportFailures() {
        #expect(FaultOutcome.read(.timeout) == .failed("timeout"))
        #expect(FaultOutcome.read(.reset) == .failed("reset"))
        #expect(FaultOutcome.read(.refused) == .failed("refused"))
        #expect(FaultOutcome.write(.failed("tls")) == .failed("tls"))
    }

    /// Only 201 and 200 (a replay) acknowledge an order; 202, 409, 503 do not.
    @Test func writesAcknowledgedBy201And200() {
        #expect(FaultOutcome.write(answer(201)) == .ok(stale: false))
        #expect(FaultOutcome.write(answer(200)) == .ok(stale: false))
        #expect(FaultOutcome.write(answer(202)) == .failed("202"))
        #expect(FaultOutcome.write(answer(409)) == .failed("409"))
        #expect(FaultOutcome.write(answer(503)) == .failed("503"))
    }

    /// The tenant header decides when present; without it, the body naming another tenant's domain does.
    @Test func crossTenant() {
        #expect(!FaultOutcome.crossesTenant(answer(200, tenant: "alpine"), askedFor: "alpine"))
        #expect(FaultOutcome.crossesTenant(answer(200, tenant: "harbor"), askedFor: "alpine"))
        #expect(FaultOutcome.crossesTenant(answer(200, tenant: "harbor", namesOther: false), askedFor: "alpine"))
        #expect(!FaultOutcome.crossesTenant(answer(200, tenant: "alpine", namesOther: true), askedFor: "alpine"))
        #expect(FaultOutcome.crossesTenant(answer(200, namesOther: true), askedFor: "alpine"))
        #expect(!FaultOutcome.crossesTenant(answer(502), askedFor: "alpine"))
        #expect(!FaultOutcome.crossesTenant(.reset, askedFor: "alpine"))
    }

    /// Round-robin by request number, then every other edge once, each edge exactly once.
    @Test func edgeRotation() {
        let rotation = EdgeRotation(count: 3)
        #expect(rotation.order(for: 0) == [0, 1, 2])
        #expect(rotation.order(for: 1) == [1, 2, 0])
        #expect(rotation.order(for: 5) == [2, 0, 1])
        #expect(EdgeRotation(count: 1).order(for: 7) == [0])
    }
}

@Suite struct FaultErrorMappingTests {
    /// The client's own errors: a timeout stays a timeout, a connection closed mid-answer is a reset.
    @Test func clientErrors() {
        #expect(FaultDriver.attempt(for: HTTPClientError.timeout) == .timeout)
        #expect(FaultDriver.attempt(for: HTTPClientError.connectionClosed(beforeResponse: true)) == .reset)
        #expect(FaultDriver.attempt(for: HTTPClientError.connectionClosed(beforeResponse: false)) == .reset)
        #expect(FaultDriver.attempt(for: HTTPClientError.responseTooLarge) == .failed("error"))
    }
}
