import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// Production mode's tenant-stamp rule at the edge (``EdgeConfiguration/requireTenantStamp``): an origin
/// answer without `X-Storefront-Tenant` is served but not stored, and counted in
/// `storefront_edge_unstamped_responses_total`; the lenient mode stores it; a stamped answer is stored either way.
@Suite struct UnstampedResponseTests {
    @Test(arguments: [true, false])
    func unstampedAnswersAreStoredOnlyInTheLenientMode(requireStamp: Bool) async throws {
        let origin = try await FakeOrigin.start { head in
            var headers = [("cache-control", "s-maxage=60")]
            if head.uri == "/stamped" { headers.append((StorefrontHeader.tenant, "alpine")) }
            return FakeOrigin.Reply(headers: headers, body: "page \(head.uri)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.requireTenantStamp = requireStamp }) { edge in
            for _ in 0..<2 {
                #expect(try await edge.get("/unstamped").text == "page /unstamped")
                #expect(try await edge.get("/stamped").text == "page /stamped")
            }
            #expect(origin.requests.filter { $0.uri == "/unstamped" }.count == (requireStamp ? 2 : 1))
            #expect(origin.requests.filter { $0.uri == "/stamped" }.count == 1)
            let metrics = try await PlainHTTP.send(.GET, "/metrics", host: "127.0.0.1", port: edge.adminPort).text
            let line = #"storefront_edge_unstamped_responses_total{tenant="alpine"} \#(requireStamp ? 2 : 0)"#
            #expect(metrics.contains(line), "\(metrics)")
        }
    }
}
