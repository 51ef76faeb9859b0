import ArgumentParser
import Foundation
import LoadGenerator
import NIOCore
import NIOHTTP1
import NIOPosix
import Shared
import UpstreamHTTP

/// What the command asks the origins' internal listeners before a run: the tenant list and a tenant admin for
/// updates.
struct Setup {
    let client: HTTP1Client
    let loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()

    /// Every storefront `origin` lists (`GET /internal/tenants`).
    func listTenants(origin: HTTPEndpoint, token: String) async throws -> [LoadTenant] {
        struct Listing: Decodable {
            struct Entry: Decodable {
                var domain: String
                var tenantId: String
            }
            var tenants: [Entry]
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/internal/tenants")
        head.headers.add(name: "host", value: origin.host)
        head.headers.add(name: StorefrontHeader.internalToken, value: token)
        let response = try await client.execute(head, to: origin, on: loop, deadline: .now() + .seconds(5)).get()
        guard response.head.status == .ok,
            let listing = try? JSONDecoder().decode(Listing.self, from: Data(response.body.readableBytesView))
        else {
            throw ValidationError("cannot list tenants from \(origin) (status \(response.head.status.code)); pass --tenants id=domain,…")
        }
        return listing.tenants.map { LoadTenant(id: $0.tenantId, domain: $0.domain) }
    }

    /// Creates `load@<domain>` as each tenant's admin where the tenant has none yet (409 means it has one:
    /// then updates work only if it is ours).
    func ensureAdmins(for tenants: [LoadTenant], origin: HTTPEndpoint, token: String, password: String) async {
        for tenant in tenants {
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/admin/tenants/\(tenant.id)/init")
            head.headers.add(name: "host", value: origin.host)
            head.headers.add(name: "authorization", value: "Bearer \(token)")
            head.headers.add(name: "content-type", value: "application/json")
            let body = ByteBuffer(string: #"{"email":"load@\#(tenant.domain)","password":"\#(password)"}"#)
            _ = try? await client.execute(head, body: body, to: origin, on: loop, deadline: .now() + .seconds(10)).get()
        }
    }
}
