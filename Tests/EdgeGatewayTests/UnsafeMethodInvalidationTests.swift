import EdgeCore
import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

@Suite struct UnsafeMethodInvalidationTests {
    /// A successful POST drops the stored page at its URL and at the Location it names.
    @Test func successfulPostInvalidates() async throws {
        let origin = try await FakeOrigin.start { head in
            if head.method == .POST {
                return FakeOrigin.Reply(status: .seeOther, headers: [("location", "/cart/summary")], body: "")
            }
            return FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "view of \(head.uri)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            for path in ["/cart", "/cart/summary", "/other"] { _ = try await edge.get(path) }
            #expect(try await edge.get("/cart").head.headers.first(name: "x-cache") == "HIT")
            let posted = try await edge.get("/cart", method: .POST)
            #expect(posted.head.status == .seeOther)
            #expect(try await edge.get("/cart").head.headers.first(name: "x-cache") == "MISS")
            #expect(try await edge.get("/cart/summary").head.headers.first(name: "x-cache") == "MISS")
            #expect(try await edge.get("/other").head.headers.first(name: "x-cache") == "HIT")
        }
    }

    /// A failed unsafe request leaves the cache alone.
    @Test func failedPostDoesNotInvalidate() async throws {
        let origin = try await FakeOrigin.start { head in
            head.method == .POST
                ? FakeOrigin.Reply(status: .unprocessableEntity, body: "no")
                : FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            _ = try await edge.get("/cart")
            _ = try await edge.get("/cart", method: .POST)
            #expect(try await edge.get("/cart").head.headers.first(name: "x-cache") == "HIT")
        }
    }
}
