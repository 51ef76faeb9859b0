import LoadGenerator
import Testing
import UpstreamHTTP

@Suite struct FaultWorkloadTests {
    private let tenants = [LoadTenant(id: "alpine", domain: "alpine.test"), LoadTenant(id: "harbor", domain: "harbor.test")]

    private func configuration(prefix: String = "s4-1733") -> FaultConfiguration {
        var configuration = FaultConfiguration(
            edges: [HTTPEndpoint(host: "127.0.0.1", port: 8443)],
            caPath: "ca.crt",
            tenants: tenants,
            keyPrefix: prefix
        )
        configuration.cachedPages = 3
        return configuration
    }

    /// Never-requested pages are cached products with a query unique to the run and number.
    @Test func uncachedPagesAreUniquePerRun() {
        let workload = FaultWorkload(configuration())
        #expect(workload.cachedPath(page: 2) == "/products/product-2")
        #expect(workload.uncachedPath(number: 1) == "/products/product-2?fault=s4-1733-1")
        #expect(workload.uncachedPath(number: 3) == "/products/product-1?fault=s4-1733-3")
        let paths = Set((1...100).map(workload.uncachedPath))
        #expect(paths.count == 100)
        #expect(FaultWorkload(configuration(prefix: "s5-1733")).uncachedPath(number: 1) != workload.uncachedPath(number: 1))
    }

    /// Orders take tenants in turn and cached products, with the same key and body every time.
    @Test func ordersAreDeterministic() {
        let workload = FaultWorkload(configuration())
        let first = workload.order(number: 1)
        #expect(first.tenant.id == "alpine" && first.key == "s4-1733-1")
        #expect(first.body == #"{"lines":[{"slug":"product-1","quantity":1}]}"#)
        #expect(workload.order(number: 2).tenant.id == "harbor")
        #expect(workload.order(number: 3).body == #"{"lines":[{"slug":"product-2","quantity":1}]}"#)
        #expect(workload.order(number: 7).body == #"{"lines":[{"slug":"product-1","quantity":1}]}"#)
        #expect(workload.order(number: 5) == workload.order(number: 5))
    }

    /// A key prefix that would not survive a header or a query string is refused with a clear message.
    @Test func badConfigurationNamed() {
        #expect(configuration().problem() == nil)
        #expect(configuration(prefix: "a b").problem()?.contains("--key-prefix") == true)
        #expect(configuration(prefix: "a&b").problem()?.contains("--key-prefix") == true)
        var noEdges = configuration()
        noEdges.edges = []
        #expect(noEdges.problem()?.contains("--edges") == true)
        var share = configuration()
        share.uncachedShare = 1.5
        #expect(share.problem()?.contains("--uncached-share") == true)
    }
}
