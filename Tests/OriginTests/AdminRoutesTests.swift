import Foundation
import HTTPTypes
import HummingbirdTesting
import Shared
import Testing

@testable import Origin

/// The admin API on memory repositories: the platform token, onboarding, tenant admins and their catalogue.
@Suite struct AdminRoutesTests {
    static let platform = [("Authorization", "Bearer \(MemoryOrigin.adminToken)")]

    static func newTenantBody(id: String, domain: String, extra: String = "") -> String {
        #"{"id":"\#(id)","name":"New Shop","domain":"\#(domain)"\#(extra)}"#
    }

    static func basic(_ email: String, _ password: String) -> [(String, String)] {
        [("Authorization", "Basic " + Data("\(email):\(password)".utf8).base64EncodedString())]
    }

    /// Gives `shop` its first admin through the platform route.
    static func initAdmin(_ client: any TestClientProtocol, _ shop: Storefront, email: String, password: String) async throws {
        let response = try await client.send(
            .post,
            "/admin/tenants/\(shop.tenantID.rawValue)/init",
            host: "origin.internal",
            headers: platform,
            body: #"{"email":"\#(email)","password":"\#(password)"}"#
        )
        #expect(response.status == .created)
    }

    @Test(arguments: [nil as String?, "Bearer wrong-token", "Basic dGVzdDp0ZXN0", "Bearer"])
    /// The platform routes need the admin token: 401 with a Bearer challenge, and nothing is created.
    func platformTokenRequired(authorization: String?) async throws {
        let origin = MemoryOrigin()
        try await origin.test { client in
            for path in ["/admin/tenants", "/admin/tenants/someone/init"] {
                let response = try await client.send(
                    .post,
                    path,
                    host: "origin.internal",
                    headers: authorization.map { [("Authorization", $0)] } ?? [],
                    body: Self.newTenantBody(id: "sneaky", domain: "sneaky.test")
                )
                #expect(response.status == .unauthorized, "\(path)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            #expect(try await origin.repositories.storefronts.allEntries().isEmpty)
        }
    }

    /// The storefront router has no platform routes: with the right tokens, for a storefront's Host, they are
    /// 404 and nothing is created or listed (they live on the internal listener only).
    @Test func platformRoutesAreNotStorefrontRoutes() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Public Shop", products: 0)
        try await origin.test { client in
            let host = shop.domain.rawValue
            let created = try await client.send(
                .post,
                "/admin/tenants",
                host: host,
                headers: Self.platform,
                body: Self.newTenantBody(id: "sneaky", domain: "sneaky.test")
            )
            #expect(created.status == .notFound)
            let initialised = try await client.send(
                .post,
                "/admin/tenants/\(shop.tenantID.rawValue)/init",
                host: host,
                headers: Self.platform,
                body: #"{"email":"a@b.test","password":"long enough password"}"#
            )
            #expect(initialised.status == .notFound)
            let listed = try await client.send(
                .get,
                "/internal/tenants",
                host: host,
                headers: [(StorefrontHeader.internalToken, MemoryOrigin.internalToken)]
            )
            #expect(listed.status == .notFound)
            #expect(try await origin.repositories.storefronts.allEntries().count == 1)
        }
    }

    /// Onboarding: the platform creates a tenant (served at once, announced to edges) and gives it one admin.
    @Test func onboarding() async throws {
        let origin = MemoryOrigin()
        try await origin.test { client in
            let created = try await client.send(
                .post,
                "/admin/tenants",
                host: "origin.internal",
                headers: Self.platform,
                body: Self.newTenantBody(id: "new-shop", domain: "WWW.NEW-SHOP.TEST")
            )
            #expect(created.status == .created)
            #expect(created.text == #"{"domain":"new-shop.test","tenantId":"new-shop"}"#)
            #expect(origin.events.tenantChanges == [HostName(normalising: "new-shop.test")!])
            let served = try await client.send(.get, "/api/storefront", host: "new-shop.test")
            #expect(served.status == .ok)
            #expect(served.headers[.storefrontTenant] == "new-shop")

            let first = try await client.send(
                .post,
                "/admin/tenants/new-shop/init",
                host: "origin.internal",
                headers: Self.platform,
                body: #"{"email":"Owner@New-Shop.test","password":"correct horse battery"}"#
            )
            #expect(first.status == .created)
            let again = try await client.send(
                .post,
                "/admin/tenants/new-shop/init",
                host: "origin.internal",
                headers: Self.platform,
                body: #"{"email":"other@new-shop.test","password":"correct horse battery"}"#
            )
            #expect(again.status == .conflict)
            let unknown = try await client.send(
                .post,
                "/admin/tenants/no-such-shop/init",
                host: "origin.internal",
                headers: Self.platform,
                body: #"{"email":"a@b.test","password":"correct horse battery"}"#
            )
            #expect(unknown.status == .notFound)
            let login = Self.basic("owner@new-shop.test", "correct horse battery")
            let added = try await client.send(
                .post,
                "/admin/products",
                host: "new-shop.test",
                headers: login,
                body: #"{"slug":"first","title":"First product","priceCents":1999,"currency":"EUR"}"#
            )
            #expect(added.status == .created)
        }
    }

    /// Bad tenant input: a clear 4xx and nothing written.
    @Test func badTenantInputChangesNothing() async throws {
        let origin = MemoryOrigin()
        let taken = try await origin.addTenant("Taken", products: 0)
        try await origin.test { client in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (Self.newTenantBody(id: "fresh", domain: taken.domain.rawValue), .conflict, "domain already taken"),
                (Self.newTenantBody(id: taken.tenantID.rawValue, domain: "fresh.test"), .conflict, "tenant id already taken"),
                (Self.newTenantBody(id: "fresh", domain: "not a domain"), .badRequest, "domain is not a valid host name"),
                (Self.newTenantBody(id: "Bad_ID", domain: "fresh.test"), .badRequest, "id must be"),
                (Self.newTenantBody(id: "fresh", domain: "fresh.test", extra: #","plan":"gold""#), .badRequest, "unknown field 'plan'"),
                (Self.newTenantBody(id: "fresh", domain: "fresh.test", extra: #","settings":{"assistantTools":["rm_rf"]}"#), .badRequest, "rm_rf"),
                (#"{"id":"fresh"}"#, .badRequest, "missing field"),
                (#"{"id":"fresh","name":"x","domain":""# + String(repeating: "a", count: 70_000) + #"."}"#, .contentTooLarge, "body larger"),
            ]
            for (body, status, message) in cases {
                let response = try await client.send(.post, "/admin/tenants", host: "origin.internal", headers: Self.platform, body: body)
                #expect(response.status == status, "\(body.prefix(80))")
                #expect(response.text.contains(message), "\(body.prefix(80))")
            }
            let entries = try await origin.repositories.storefronts.allEntries()
            #expect(entries == [TenantDirectoryEntry(domain: taken.domain, tenantID: taken.tenantID)])
            #expect(origin.events.tenantChanges.isEmpty)
        }
    }

    /// Bad admin input on init: 400, and the tenant still has no admin.
    @Test func badAdminInput() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Init Shop", products: 0)
        try await origin.test { client in
            for body in [#"{"email":"not-an-email","password":"long enough password"}"#, #"{"email":"a@b.test","password":"short"}"#] {
                let response = try await client.send(
                    .post,
                    "/admin/tenants/\(shop.tenantID.rawValue)/init",
                    host: "origin.internal",
                    headers: Self.platform,
                    body: body
                )
                #expect(response.status == .badRequest)
            }
            try await Self.initAdmin(client, shop, email: "a@b.test", password: "long enough password")
        }
    }

    /// A tenant admin manages the catalogue: create, update, delete, each purging the product's tags.
    @Test func catalogueManagement() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Managed", products: 1)
        try await origin.test { client in
            try await Self.initAdmin(client, shop, email: "boss@managed.test", password: "a long enough password")
            let login = Self.basic("boss@managed.test", "a long enough password")
            let host = shop.domain.rawValue
            let product = #"{"slug":"first","title":"First product","priceCents":1999,"currency":"EUR"}"#

            let denied = try await client.send(
                .post,
                "/admin/products",
                host: host,
                headers: Self.basic("boss@managed.test", "wrong password!!"),
                body: product
            )
            #expect(denied.status == .unauthorized)
            #expect(denied.headers[.wwwAuthenticate] == #"Basic realm="storefront admin""#)
            let anonymous = try await client.send(.post, "/admin/products", host: host, body: product)
            #expect(anonymous.status == .unauthorized)

            let added = try await client.send(.post, "/admin/products", host: host, headers: login, body: product)
            #expect(added.status == .created)
            let created = try JSONDecoder.iso.decode(Product.self, from: Data(buffer: added.body))
            #expect(created.title == "First product" && created.priceCents == 1999)
            let tags = [SurrogateKey.catalogue(shop.tenantID).rawValue, SurrogateKey.product(shop.tenantID, created.id).rawValue]
            #expect(origin.events.purges.last?.tags == tags)
            let duplicate = try await client.send(.post, "/admin/products", host: host, headers: login, body: product)
            #expect(duplicate.status == .conflict)
            let page = try await client.send(.get, "/products/first", host: host)
            #expect(page.text.contains("First product"))

            let renamed = try await client.send(.put, "/admin/products/first", host: host, headers: login, body: #"{"title":"Renamed"}"#)
            #expect(renamed.status == .ok)
            let updated = try JSONDecoder.iso.decode(Product.self, from: Data(buffer: renamed.body))
            #expect(updated.title == "Renamed" && updated.priceCents == 1999 && updated.id == created.id)
            #expect(origin.events.purges.count == 2)
            let missing = try await client.send(.put, "/admin/products/nothing", host: host, headers: login, body: #"{"title":"x"}"#)
            #expect(missing.status == .notFound)

            let deleted = try await client.send(.delete, "/admin/products/first", host: host, headers: login)
            #expect(deleted.status == .noContent)
            #expect(origin.events.purges.last?.tags == tags)
            let gone = try await client.send(.get, "/products/first", host: host)
            #expect(gone.status == .notFound)
            let again = try await client.send(.delete, "/admin/products/first", host: host, headers: login)
            #expect(again.status == .notFound)
        }
    }

    @Test(arguments: [
        ("POST", "/admin/products", #"{"slug":"Bad Slug","title":"x","priceCents":1,"currency":"EUR"}"#, 422),
        ("POST", "/admin/products", #"{"slug":"ok","priceCents":1,"currency":"EUR"}"#, 422),
        ("POST", "/admin/products", #"{"slug":"ok","title":"x","priceCents":-1,"currency":"EUR"}"#, 422),
        ("POST", "/admin/products", #"{"slug":"ok","title":"x","priceCents":1,"currency":"euro"}"#, 422),
        ("POST", "/admin/products", #"{"slug":"ok","title":"x","priceCents":1,"currency":"EUR","stock":3}"#, 400),
        ("PUT", "/admin/products/product-1", #"{"slug":"renamed"}"#, 422),
        ("PUT", "/admin/products/product-1", #"{"title":""}"#, 422),
        ("PUT", "/admin/products/product-1", #"{"title":"#, 400),
    ])
    /// Invalid product input gets a 4xx and changes nothing.
    func badProductInput(method: String, path: String, body: String, status: Int) async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Checked", products: 1)
        try await origin.test { client in
            try await Self.initAdmin(client, shop, email: "c@checked.test", password: "a long enough password")
            let response = try await client.send(
                HTTPRequest.Method(method)!,
                path,
                host: shop.domain.rawValue,
                headers: Self.basic("c@checked.test", "a long enough password"),
                body: body
            )
            #expect(Int(response.status.code) == status)
            #expect(response.text.contains("message"))
            #expect(origin.events.purges.isEmpty)
            let product = try await client.send(.get, "/api/products/product-1", host: shop.domain.rawValue)
            #expect(product.text.contains("Checked item 1"))
        }
    }

    /// A product that has been ordered cannot be deleted.
    @Test func orderedProductStays() async throws {
        let origin = MemoryOrigin()
        let shop = try await origin.addTenant("Ordered", products: 1)
        try await origin.test { client in
            try await Self.initAdmin(client, shop, email: "o@ordered.test", password: "a long enough password")
            let placed = try await client.send(
                .post,
                "/api/orders",
                host: shop.domain.rawValue,
                body: #"{"lines":[{"slug":"product-1","quantity":1}]}"#
            )
            #expect(placed.status == .created)
            let response = try await client.send(
                .delete,
                "/admin/products/product-1",
                host: shop.domain.rawValue,
                headers: Self.basic("o@ordered.test", "a long enough password")
            )
            #expect(response.status == .conflict)
            #expect(try await client.send(.get, "/products/product-1", host: shop.domain.rawValue).status == .ok)
        }
    }

    /// Tenant A's admin cannot change tenant B's catalogue: on B's host the login is unknown.
    @Test func tenantAdminIsScopedToItsTenant() async throws {
        let origin = MemoryOrigin()
        let a = try await origin.addTenant("Admin A", products: 1)
        let b = try await origin.addTenant("Admin B", products: 1)
        try await origin.test { client in
            try await Self.initAdmin(client, a, email: "boss@a.test", password: "a long enough password")
            let login = Self.basic("boss@a.test", "a long enough password")
            let host = b.domain.rawValue
            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/admin/products", #"{"slug":"planted","title":"x","priceCents":1,"currency":"EUR"}"#),
                (.put, "/admin/products/product-1", #"{"title":"Defaced"}"#),
                (.delete, "/admin/products/product-1", nil),
            ]
            for (method, path, body) in attempts {
                let response = try await client.send(method, path, host: host, headers: login, body: body)
                #expect(response.status == .unauthorized, "\(method) \(path)")
            }
            let product = try await client.send(.get, "/api/products/product-1", host: host)
            #expect(product.text.contains("Admin B item 1"))
            #expect(try await client.send(.get, "/api/products/planted", host: host).status == .notFound)
            #expect(origin.events.purges.isEmpty)
            // On its own host the same login works.
            let own = try await client.send(.put, "/admin/products/product-1", host: a.domain.rawValue, headers: login, body: #"{"title":"Mine"}"#)
            #expect(own.status == .ok)
        }
    }
}
