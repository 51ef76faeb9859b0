import EdgeGateway
import Origin
import Shared
import TestSupport
import Testing

/// The origin's platform routes are not reachable through the public edge (issue 14, "Admin plane"): a
/// `POST /admin/tenants` with the platform token sent to a storefront's HTTPS address created a tenant, and
/// `/internal/tenants` listed every tenant's domain. Now both are 404 at the edge, however the path is
/// spelled, and never reach the origin; the tenant-admin routes still do, and are not stored.
@Suite struct PlatformRoutesThroughTheEdgeTests {
    @Test func creatingATenantThroughTheEdgeIsRefused() async throws {
        try await Stack.with { stack in
            let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
            let domain = "sneaky-\(suffix).test"
            for path in ["/admin/tenants", "/%61dmin/tenants", "//admin/tenants", "/ADMIN/tenants", "/admin/./tenants"] {
                let created = try await stack.client.request(
                    path,
                    port: stack.httpsPort,
                    serverName: stack.alpine.domain.rawValue,
                    method: .POST,
                    headers: [("authorization", "Bearer test-admin-token")],
                    body: #"{"id":"sneaky-\#(suffix)","name":"Sneaky","domain":"\#(domain)"}"#
                )
                #expect(created.head.status == .notFound, "\(path)")
            }
            // The origin itself (its internal listener) knows no such tenant.
            let listed = try await PlainHTTP.send(
                .GET,
                "/internal/tenants",
                host: "origin.internal",
                port: stack.originInternalPort,
                headers: [("x-internal-token", "test-internal-token")]
            )
            #expect(listed.head.status == .ok)
            #expect(listed.text.contains(stack.alpine.domain.rawValue))
            #expect(!listed.text.contains(domain))
        }
    }

    @Test func theInternalTenantListIsNotServedThroughTheEdge() async throws {
        try await Stack.with { stack in
            let spellings = [
                "/internal/tenants", "/%69nternal/tenants", "/%2569nternal/tenants", "//internal/tenants", "/./internal/tenants",
                "/Internal/tenants", "/x/../internal/tenants", "/internal/tenants?fresh=1",
            ]
            for path in spellings {
                let answer = try await stack.client.request(
                    path,
                    port: stack.httpsPort,
                    serverName: stack.alpine.domain.rawValue,
                    headers: [("x-internal-token", "test-internal-token")]
                )
                #expect(answer.head.status == .notFound, "\(path)")
                #expect(!answer.text.contains(stack.harbor.domain.rawValue), "\(path)")
            }
        }
    }

    /// HTTP/2 streams go through the same phase (the hit path on the connection falls back to a stream).
    @Test func theInternalTenantListIsNotServedOverHTTP2() async throws {
        try await Stack.with { stack in
            for path in ["/internal/tenants", "/%69nternal/tenants", "//internal/tenants"] {
                let answer = try await Curl.get(
                    path,
                    port: stack.httpsPort,
                    serverName: stack.alpine.domain.rawValue,
                    caPath: stack.certificates.caPath,
                    headers: ["x-internal-token: test-internal-token"]
                )
                #expect(answer.httpVersion == "2", "\(path)")
                #expect(answer.status == 404, "\(path)")
                #expect(!String(decoding: answer.body, as: UTF8.self).contains(stack.harbor.domain.rawValue), "\(path)")
            }
        }
    }

    @Test func tenantAdminRoutesStillReachTheOriginAndAreNotStored() async throws {
        try await Stack.with { stack in
            for _ in 0..<2 {
                let answer = try await stack.client.request(
                    "/admin/products",
                    port: stack.httpsPort,
                    serverName: stack.alpine.domain.rawValue,
                    method: .POST,
                    body: #"{"slug":"x"}"#
                )
                // The origin's Basic challenge: the route was reached.
                #expect(answer.head.status == .unauthorized)
                #expect(answer.head.headers.first(name: "www-authenticate")?.hasPrefix("Basic") == true)
                #expect(answer.head.headers.first(name: "x-cache") == "PASS")
            }
        }
    }
}
