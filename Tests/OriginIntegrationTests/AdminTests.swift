import EdgeGateway
import Foundation
import Origin
import PostgresNIO
import RedisClient
import Shared
import TestSupport
import Testing

/// The admin API on the real databases and Redis.
@Suite struct AdminTests {
    static let admin = [("authorization", "Bearer test-admin-token")]

    static func newTenantBody(id: String, domain: String, extra: String = "") -> String {
        #"{"id":"\#(id)","name":"New Shop","domain":"\#(domain)"\#(extra)}"#
    }

    func tenantRows(_ db: TestDatabase, _ id: String) async throws -> Int {
        try await db.owner.query("SELECT count(*)::int FROM tenants WHERE id = \(id)").decode(Int.self).collect().first ?? -1
    }

    /// Onboarding: create a tenant with the platform token, give it an admin, who then manages products.
    @Test func onboardingAndCatalogueManagement() async throws {
        try await TestDatabase.with { db in
            let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
            let id = "new-\(suffix)"
            let domain = "new-\(suffix).test"
            try await withRunningOriginListeners { listeners in
                let (port, internalPort) = (listeners.storefront, listeners.internal)
                let created = try await PlainHTTP.send(
                    .POST,
                    "/admin/tenants",
                    host: "origin.internal",
                    port: internalPort,
                    headers: Self.admin,
                    body: Self.newTenantBody(id: id, domain: "WWW.\(domain.uppercased())")
                )
                #expect(created.head.status == .created)
                #expect(created.text.contains(#""domain":"\#(domain)""#))
                let initialised = try await PlainHTTP.send(
                    .POST,
                    "/admin/tenants/\(id)/init",
                    host: "origin.internal",
                    port: internalPort,
                    headers: Self.admin,
                    body: #"{"email":"owner@\#(domain)","password":"correct horse battery"}"#
                )
                #expect(initialised.head.status == .created)
                let again = try await PlainHTTP.send(
                    .POST,
                    "/admin/tenants/\(id)/init",
                    host: "origin.internal",
                    port: internalPort,
                    headers: Self.admin,
                    body: #"{"email":"other@\#(domain)","password":"correct horse battery"}"#
                )
                #expect(again.head.status == .conflict)

                let login = "Basic " + Data("owner@\(domain):correct horse battery".utf8).base64EncodedString()
                let wrong = "Basic " + Data("owner@\(domain):wrong password!!".utf8).base64EncodedString()
                let product = #"{"slug":"first","title":"First product","priceCents":1999,"currency":"EUR"}"#
                let denied = try await PlainHTTP.send(
                    .POST,
                    "/admin/products",
                    host: domain,
                    port: port,
                    headers: [("authorization", wrong)],
                    body: product
                )
                #expect(denied.head.status == .unauthorized)
                let added = try await PlainHTTP.send(
                    .POST,
                    "/admin/products",
                    host: domain,
                    port: port,
                    headers: [("authorization", login)],
                    body: product
                )
                #expect(added.head.status == .created)
                let duplicate = try await PlainHTTP.send(
                    .POST,
                    "/admin/products",
                    host: domain,
                    port: port,
                    headers: [("authorization", login)],
                    body: product
                )
                #expect(duplicate.head.status == .conflict)
                let page = try await PlainHTTP.send(.GET, "/products/first", host: domain, port: port)
                #expect(page.head.status == .ok)
                #expect(page.text.contains("First product"))
                let renamed = try await PlainHTTP.send(
                    .PUT,
                    "/admin/products/first",
                    host: domain,
                    port: port,
                    headers: [("authorization", login)],
                    body: #"{"title":"Renamed"}"#
                )
                #expect(renamed.head.status == .ok)
                #expect(renamed.text.contains("Renamed"))
                let deleted = try await PlainHTTP.send(
                    .DELETE,
                    "/admin/products/first",
                    host: domain,
                    port: port,
                    headers: [("authorization", login)]
                )
                #expect(deleted.head.status == .noContent)
            }
        }
    }

    /// Another tenant's admin cannot log in on this tenant's host.
    @Test func tenantAdminIsScopedToItsTenant() async throws {
        try await TestDatabase.with { db in
            let a = TestEnvironment.uniqueTenant(name: "Admin A")
            let b = TestEnvironment.uniqueTenant(name: "Admin B")
            try await db.createTenant(a, products: 1)
            try await db.createTenant(b, products: 1)
            try await withRunningOriginListeners { listeners in
                let (port, internalPort) = (listeners.storefront, listeners.internal)
                let initialised = try await PlainHTTP.send(
                    .POST,
                    "/admin/tenants/\(a.id.rawValue)/init",
                    host: "origin.internal",
                    port: internalPort,
                    headers: Self.admin,
                    body: #"{"email":"boss@a.test","password":"a long enough password"}"#
                )
                #expect(initialised.head.status == .created)
                let login = "Basic " + Data("boss@a.test:a long enough password".utf8).base64EncodedString()
                let onB = try await PlainHTTP.send(
                    .DELETE,
                    "/admin/products/product-1",
                    host: b.domain.rawValue,
                    port: port,
                    headers: [("authorization", login)]
                )
                #expect(onB.head.status == .unauthorized)
            }
        }
    }

    @Test(arguments: [
        (nil as String?, 401),
        ("Bearer wrong-token", 401),
        ("Basic dGVzdDp0ZXN0", 401),
    ])
    /// The platform routes need the admin token.
    func platformTokenRequired(authorization: String?, status: Int) async throws {
        try await TestDatabase.with { db in
            try await withRunningOriginListeners { listeners in
                let (port, internalPort) = (listeners.storefront, listeners.internal)
                let id = "x-\(UInt32.random(in: 0..<UInt32.max))"
                let response = try await PlainHTTP.send(
                    .POST,
                    "/admin/tenants",
                    host: "origin.internal",
                    port: internalPort,
                    headers: authorization.map { [("authorization", $0)] } ?? [],
                    body: Self.newTenantBody(id: id, domain: "\(id).test")
                )
                #expect(Int(response.head.status.code) == status)
                #expect(try await tenantRows(db, id) == 0)
            }
        }
    }

    /// Bad tenant input: a clear 4xx and nothing written.
    @Test func badTenantInputChangesNothing() async throws {
        try await TestDatabase.with { db in
            let taken = TestEnvironment.uniqueTenant(name: "Taken")
            try await db.createTenant(taken, products: 0)
            try await withRunningOriginListeners { listeners in
                let (port, internalPort) = (listeners.storefront, listeners.internal)
                let id = "bad-\(UInt32.random(in: 0..<UInt32.max))"
                let cases: [(String, Int)] = [
                    (Self.newTenantBody(id: id, domain: taken.domain.rawValue), 409),
                    (Self.newTenantBody(id: taken.id.rawValue, domain: "\(id).test"), 409),
                    (Self.newTenantBody(id: id, domain: "not a domain"), 400),
                    (Self.newTenantBody(id: "Bad_ID", domain: "\(id).test"), 400),
                    (Self.newTenantBody(id: id, domain: "\(id).test", extra: #","plan":"gold""#), 400),
                    (Self.newTenantBody(id: id, domain: "\(id).test", extra: #","settings":{"assistantTools":["rm_rf"]}"#), 400),
                    (#"{"id":"\#(id)""#, 400),
                    (#"{"id":"\#(id)","name":"x","domain":""# + String(repeating: "a", count: 70_000) + #"."}"#, 413),
                ]
                for (body, status) in cases {
                    let response = try await PlainHTTP.send(
                        .POST,
                        "/admin/tenants",
                        host: "origin.internal",
                        port: internalPort,
                        headers: Self.admin,
                        body: body
                    )
                    #expect(Int(response.head.status.code) == status, "\(body.prefix(80))")
                }
                #expect(try await tenantRows(db, id) == 0)
                let owners = try await db.owner.query("SELECT tenant_id FROM storefronts WHERE domain = \(taken.domain.rawValue)")
                    .decode(String.self).collect()
                #expect(owners == [taken.id.rawValue])
            }
        }
    }

    /// A product change publishes a purge event scoped to its tenant and product.
    @Test func productUpdatePublishesPurge() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Purging")
            try await db.createTenant(spec, products: 2)
            let subscriber = try await RedisSubscriber.subscribe(
                to: [StorefrontEvents.purgeChannel],
                host: "127.0.0.1",
                port: TestEnvironment.redisPort
            )
            defer { Task { await subscriber.close() } }
            try await withRunningOriginListeners { listeners in
                let (port, internalPort) = (listeners.storefront, listeners.internal)
                _ = try await PlainHTTP.send(
                    .POST,
                    "/admin/tenants/\(spec.id.rawValue)/init",
                    host: "origin.internal",
                    port: internalPort,
                    headers: Self.admin,
                    body: #"{"email":"p@p.test","password":"purge purge purge"}"#
                )
                let login = "Basic " + Data("p@p.test:purge purge purge".utf8).base64EncodedString()
                let updated = try await PlainHTTP.send(
                    .PUT,
                    "/admin/products/product-2",
                    host: spec.domain.rawValue,
                    port: port,
                    headers: [("authorization", login)],
                    body: #"{"priceCents":4999}"#
                )
                #expect(updated.head.status == .ok)
                let product = try JSONDecoder.iso.decode(Product.self, from: Data(updated.body.readableBytesView))
                var received: PurgeEvent?
                for await message in subscriber.messages {
                    let event = try JSONDecoder().decode(PurgeEvent.self, from: Data(message.payload))
                    if event.tenant == spec.id {
                        received = event
                        break
                    }
                }
                #expect(received?.tags.contains(SurrogateKey.product(spec.id, product.id).rawValue) == true)
                #expect(received?.tags.allSatisfy { $0.hasPrefix("tenant:\(spec.id.rawValue)") } == true)
            }
        }
    }
}
