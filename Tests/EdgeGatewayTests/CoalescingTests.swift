import EdgeCore
import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

@Suite struct CoalescingTests {
    /// Sends `count` concurrent GETs; once all but one wait behind the first fetch, opens the origin's gate
    /// so the held answer goes out.
    static func concurrentGets(_ edge: EdgeFixture, count: Int, path: String, gate: FakeOrigin.Gate) async throws -> [HTTPClientResponse] {
        try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            for _ in 0..<count { group.addTask { try await edge.get(path) } }
            group.addTask {
                // The gate opens whatever happens, so the held requests always end.
                defer { gate.open() }
                try await waitUntil("\(count - 1) requests waiting behind the first fetch", pollEvery: .milliseconds(5)) {
                    edge.server.coalescedWaiters >= count - 1
                }
                return nil
            }
            return try await group.reduce(into: []) { if let response = $1 { $0.append(response) } }
        }
    }

    /// 100 concurrent misses on one page: exactly one origin fetch, 100 identical answers.
    @Test func hundredConcurrentMissesOneFetch() async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "the page", gate: gate)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let responses = try await Self.concurrentGets(edge, count: 100, path: "/hot", gate: gate)
            #expect(origin.requestCount == 1)
            #expect(responses.allSatisfy { $0.head.status == .ok && $0.text == "the page" })
            #expect(responses.filter { $0.head.headers.first(name: "x-cache") == "MISS" }.count <= 1)
        }
    }

    /// A failed fetch wakes every waiter with an error, promptly, never a hang.
    @Test func failedFetchWakesEveryWaiter() async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60"), (StorefrontHeader.tenant, "someone-else")], body: "x", gate: gate)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let responses = try await Self.concurrentGets(edge, count: 20, path: "/broken", gate: gate)
            #expect(responses.count == 20)
            #expect(responses.allSatisfy { $0.head.status == .badGateway })
            #expect(origin.requestCount == 1)
        }
    }

    /// An answer that must not be shared is not handed to waiters: each gets its own from the origin.
    @Test func privateAnswerIsNotShared() async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { _ in
            FakeOrigin.Reply(headers: [("cache-control", "private, max-age=60")], body: "yours", gate: gate)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let responses = try await Self.concurrentGets(edge, count: 10, path: "/account", gate: gate)
            #expect(responses.allSatisfy { $0.head.status == .ok })
            #expect(origin.requestCount == 10)
            #expect(responses.allSatisfy { $0.head.headers.first(name: "x-cache") == "PASS" })
        }
    }
}
