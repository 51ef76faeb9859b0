import Foundation
import Hummingbird
import Shared
import TestSupport
import Testing

@testable import Origin

/// Read-your-writes through the origin's request scope and across origin instances, while the real replica
/// has stopped replaying (in ``ReadRoutingTests``, whose tests run one at a time: they pause the replica).
extension ReadRoutingTests {
    /// A request that writes and then reads sees its write: the tenant middleware opened the request's state,
    /// so the read after the write went to the primary although the per-instance window is off.
    @Test func writeThenReadInOneRequestReadsThePrimary() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Scope")
            try await db.createTenant(spec, products: 1)
            var routing = TenantDatabase.Routing()
            routing.readYourWritesWindow = .zero
            let database = TenantDatabase(
                primary: db.primary,
                replica: db.replica,
                monitor: db.monitor,
                routing: routing,
                logger: TestEnvironment.logger
            )
            let router = Self.writeThenReadRouter(database)
            let slug = "scope-\(Int.random(in: 0..<1_000_000))"
            try await withRunningApplication(router: router) { port in
                try await Self.withReplicaPaused {
                    let written = try await PlainHTTP.send(.POST, "/write-then-read/\(slug)", host: spec.domain.rawValue, port: port)
                    #expect(written.head.status == .ok)
                    #expect(written.text == "Just written", "the read after the write must see it (primary)")
                    // A later request that did not write reads the replica, which really is behind.
                    let later = try await PlainHTTP.send(.GET, "/read/\(slug)", host: spec.domain.rawValue, port: port)
                    #expect(later.text == "not found")
                }
            }
        }
    }

    /// Routes for the scope test: one writes a product then reads it back, one only reads.
    static func writeThenReadRouter(_ database: TenantDatabase) -> Router<OriginRequestContext> {
        let router = Router(context: OriginRequestContext.self)
        router.add(middleware: TenantMiddleware(directory: StorefrontDirectory(database: database, ttl: .seconds(5), logger: TestEnvironment.logger)))
        let tenant = router.group(context: TenantRequestContext.self)
        tenant.post("/write-then-read/{slug}") { _, context -> String in
            let slug = try context.parameters.require("slug")
            try await insertProduct(database, tenant: context.tenant, slug: slug)
            return try await readTitle(database, tenant: context.tenant, slug: slug)
        }
        tenant.get("/read/{slug}") { _, context -> String in
            try await readTitle(database, tenant: context.tenant, slug: try context.parameters.require("slug"))
        }
        return router
    }

    static func readTitle(_ database: TenantDatabase, tenant: TenantID, slug: String) async throws -> String {
        try await database.read(tenant) { connection in
            let rows = try await connection.query(
                "SELECT title FROM products WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug)"
            )
            for try await title in rows.decode(String.self) { return title }
            return "not found"
        }
    }
}

/// Across origin instances: the write's WAL position travels with the client in the `sf_wal` cookie.
extension ReadRoutingTests {
    /// A product written through origin A is read through origin B, which never saw the write: with the
    /// cookie A set, B reads the primary while the replica lags; without it (or with a malformed one) B reads
    /// the stale replica. Once the replica has replayed the write, B clears the cookie.
    @Test func writePositionCookieCarriesReadYourWritesToAnotherOrigin() async throws {
        try await TestDatabase.with { db in
            let spec = TestEnvironment.uniqueTenant(name: "Two Origins")
            try await db.createTenant(spec, products: 1)
            let host = spec.domain.rawValue
            let slug = "wal-\(Int.random(in: 0..<1_000_000))"
            try await withRunningOriginListeners { listenersA in
                let originA = listenersA.storefront
                try await withRunningOrigin { originB in
                    let login = try await tenantAdminLogin(spec, db: db, internalPort: listenersA.internal)
                    let captured = CapturedCookie()
                    try await Self.withReplicaPaused {
                        let created = try await PlainHTTP.send(
                            .POST,
                            "/admin/products",
                            host: host,
                            port: originA,
                            headers: [("authorization", login)],
                            body: #"{"slug":"\#(slug)","title":"Written on A","priceCents":500,"currency":"EUR"}"#
                        )
                        #expect(created.head.status == .created)
                        let setCookie = created.head.headers["set-cookie"].first ?? ""
                        #expect(setCookie.wholeMatch(of: /sf_wal=[0-9A-F]{16}; Max-Age=10; Path=\/; HttpOnly; SameSite=Lax/) != nil, "\(setCookie)")
                        let cookie = String(setCookie.prefix(while: { $0 != ";" }))
                        await captured.set(cookie)

                        let path = "/api/products/\(slug)"
                        let withCookie = try await PlainHTTP.send(
                            .GET,
                            path,
                            host: host,
                            port: originB,
                            headers: [("cookie", "consent=yes; \(cookie)")]
                        )
                        #expect(withCookie.head.status == .ok)
                        #expect(withCookie.text.contains("Written on A"))
                        #expect(withCookie.head.headers["set-cookie"].isEmpty, "kept until the replica has the write")
                        let without = try await PlainHTTP.send(.GET, path, host: host, port: originB)
                        #expect(without.head.status == .notFound, "the replica has not replayed the write")
                        let malformed = try await PlainHTTP.send(
                            .GET,
                            path,
                            host: host,
                            port: originB,
                            headers: [("cookie", "sf_wal=not-a-position")]
                        )
                        #expect(malformed.head.status == .notFound, "a malformed position is ignored, never an error")
                    }
                    try await db.waitForReplica()
                    let cookie = await captured.value
                    try await waitUntil(
                        "origin B to clear the cookie once the replica replayed past it",
                        timeout: .seconds(5),
                        pollEvery: .milliseconds(50)
                    ) {
                        let response = try await PlainHTTP.send(
                            .GET,
                            "/api/products/\(slug)",
                            host: host,
                            port: originB,
                            headers: [("cookie", cookie)]
                        )
                        return response.head.status == .ok && response.head.headers["set-cookie"].first?.hasPrefix("sf_wal=; Max-Age=0;") == true
                    }
                }
            }
        }
    }
}

/// The cookie a response set, kept across the paused-replica closure.
private actor CapturedCookie {
    var value = ""

    func set(_ value: String) { self.value = value }
}
