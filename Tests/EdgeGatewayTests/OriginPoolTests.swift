import EdgeCore
import EdgeGateway
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Shared
import TestSupport
import Testing

/// The origin pool through the real edge: dead origins are skipped without failing requests, origins are
/// added and removed while it runs, health probes and load decide where requests go.
@Suite struct OriginPoolTests {
    static func origin(named name: String, health: HTTPResponseStatus = .ok, delay: TimeAmount? = nil) async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            if head.uri == "/health" { return FakeOrigin.Reply(status: health, body: name) }
            return FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: name, delay: delay)
        }
    }

    static func pageRequests(_ origin: FakeOrigin) -> Int { origin.requests.filter { $0.uri != "/health" }.count }

    /// One of two origins is down: every request is answered (connect failures retried on the other), and
    /// the dead one is ejected after a few failures.
    @Test func deadOriginIsSkipped() async throws {
        let live = try await Self.origin(named: "live")
        let dead = try ClosedPort()
        defer { Task { await live.stop() } }
        try await EdgeFixture.with(origins: [live], unreachable: [dead]) { edge in
            for index in 0..<20 {
                let response = try await edge.get("/p\(index)")
                #expect(response.head.status == .ok)
                #expect(String(buffer: response.body) == "live")
            }
            #expect(Self.pageRequests(live) == 20)
            let member = edge.server.originPool.members.first { $0.endpoint.port == dead.port }
            #expect((member?.ejections ?? 0) >= 1)
        }
    }

    /// Nothing usable left: 502 with a clear message.
    @Test func noOriginLeftIs502() async throws {
        let dead = try ClosedPort()
        try await EdgeFixture.with(origins: [], unreachable: [dead]) { edge in
            var last: HTTPClientResponse?
            for index in 0..<6 { last = try await edge.get("/p\(index)") }
            #expect(last?.head.status == .badGateway)
            #expect(String(buffer: last!.body).contains("no healthy origin"))
        }
        withExtendedLifetime(dead) {}
    }

    /// Scaling out and in for a peak sale: origins added and removed at runtime, no request fails.
    @Test func originsChangeWithoutRestart() async throws {
        let first = try await Self.origin(named: "first")
        let second = try await Self.origin(named: "second")
        defer {
            Task {
                await first.stop()
                await second.stop()
            }
        }
        try await EdgeFixture.with(origins: [first]) { edge in
            let pool = edge.server.originPool
            let seen = try await withThrowingTaskGroup(of: String.self) { tasks in
                for index in 0..<60 {
                    tasks.addTask {
                        if index == 20 {
                            pool.update([HTTPEndpoint(host: "127.0.0.1", port: first.port), HTTPEndpoint(host: "127.0.0.1", port: second.port)])
                        }
                        if index == 40 { pool.update([HTTPEndpoint(host: "127.0.0.1", port: second.port)]) }
                        let response = try await edge.get("/p\(index)")
                        #expect(response.head.status == .ok)
                        return String(buffer: response.body)
                    }
                    // Deliberate: requests are spread over the changes rather than sent all at once.
                    try await Task.sleep(for: .milliseconds(5))
                }
                return try await tasks.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(seen.count == 60)
            #expect(seen.contains("second"))
            #expect(pool.endpoints.map(\.port) == [second.port])
            // After the removal, only the remaining origin is asked.
            let before = Self.pageRequests(first)
            for index in 0..<5 { _ = try await edge.get("/after\(index)") }
            #expect(Self.pageRequests(first) == before)
        }
    }

    /// An origin whose health endpoint fails is taken out of rotation by the probes.
    @Test func failingHealthCheckTakesOriginOut() async throws {
        let healthy = try await Self.origin(named: "healthy")
        let sick = try await Self.origin(named: "sick", health: .serviceUnavailable)
        defer {
            Task {
                await healthy.stop()
                await sick.stop()
            }
        }
        try await EdgeFixture.with(origins: [healthy, sick]) { edge in
            let probes = OriginHealthService(
                pool: edge.server.originPool,
                client: edge.server.originClient,
                eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
                // Generous: on a loaded CI machine a 1 s probe of the healthy origin can time out too.
                check: {
                    var check = OriginHealthService.Check()
                    check.timeout = .seconds(10)
                    return check
                }(),
                logger: TestEnvironment.logger
            )
            await probes.probeAll()
            await probes.probeAll()
            for index in 0..<10 {
                let response = try await edge.get("/p\(index)")
                #expect(String(buffer: response.body) == "healthy")
            }
            #expect(Self.pageRequests(sick) == 0)
        }
    }

    /// Least outstanding requests: a slow origin gets fewer of many concurrent requests than a fast one.
    @Test func slowOriginGetsFewerRequests() async throws {
        let slow = try await Self.origin(named: "slow", delay: .seconds(1))
        let fast = try await Self.origin(named: "fast")
        defer {
            Task {
                await slow.stop()
                await fast.stop()
            }
        }
        try await EdgeFixture.with(origins: [slow, fast]) { edge in
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for index in 0..<40 {
                    tasks.addTask { _ = try await edge.get("/p\(index)") }
                    // Deliberate: a steady arrival rate, so outstanding counts build up on the slow origin.
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await tasks.waitForAll()
            }
            // Round-robin would split 20/20; least outstanding sends most to the origin that answers.
            #expect(Self.pageRequests(fast) > Self.pageRequests(slow) + 5, "fast \(Self.pageRequests(fast)), slow \(Self.pageRequests(slow))")
        }
    }

    /// A rolling restart of the origins under load: each instance in turn stops gracefully and comes back
    /// (on a new port, as a new pod would) while clients keep asking; not one request fails.
    @Test func rollingOriginRestartFailsNothing() async throws {
        let first = try await Self.origin(named: "first", delay: .milliseconds(20))
        let second = try await Self.origin(named: "second", delay: .milliseconds(20))
        let replacements = NIOLockedValueBox<[FakeOrigin]>([])
        defer {
            Task {
                await first.stop()
                await second.stop()
                for origin in replacements.withLockedValue({ $0 }) { await origin.stop() }
            }
        }
        try await EdgeFixture.with(origins: [first, second]) { edge in
            let pool = edge.server.originPool
            // Phases follow what happened, not the clock: roll after traffic flowed, stop once the last new
            // instance has answered some.
            let stopped = NIOLockedValueBox(false)
            let failures = try await withThrowingTaskGroup(of: [String].self) { tasks in
                for worker in 0..<6 {
                    tasks.addTask {
                        var failures: [String] = []
                        var index = 0
                        while !stopped.withLockedValue({ $0 }) {
                            index += 1
                            do {
                                let response = try await edge.get("/r/\(worker)/\(index)")
                                if response.head.status != .ok { failures.append("\(response.head.status.code) \(String(buffer: response.body))") }
                            } catch {
                                failures.append("\(error)")
                            }
                        }
                        return failures
                    }
                }
                tasks.addTask {
                    defer { stopped.withLockedValue { $0 = true } }
                    func served() -> Int { ([first, second] + replacements.withLockedValue { $0 }).reduce(0) { $0 + Self.pageRequests($1) } }
                    // Roll: replace first, then second, each drained while taking traffic.
                    var current = [first, second]
                    for index in 0..<2 {
                        let before = served()
                        try await waitUntil("20 more requests served before replacing origin \(index + 1)", timeout: .seconds(30)) {
                            served() >= before + 20
                        }
                        let replacement = try await Self.origin(named: "new-\(index)", delay: .milliseconds(20))
                        replacements.withLockedValue { $0.append(replacement) }
                        // The new instance joins (discovery), the old one leaves and drains.
                        pool.update((current + [replacement]).map { HTTPEndpoint(host: "127.0.0.1", port: $0.port) })
                        let old = current.removeFirst()
                        current.append(replacement)
                        await old.drain()
                        pool.update(current.map { HTTPEndpoint(host: "127.0.0.1", port: $0.port) })
                    }
                    try await waitUntil("5 requests served by each new origin", timeout: .seconds(30)) {
                        !replacements.withLockedValue { $0 }.contains { Self.pageRequests($0) < 5 }
                    }
                    return []
                }
                return try await tasks.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            let replaced = replacements.withLockedValue { $0 }
            #expect(replaced.count == 2 && replaced.allSatisfy { Self.pageRequests($0) > 0 })
        }
    }

    /// A file of origins (a ConfigMap mount) is followed while the edge runs.
    @Test func originListFileIsFollowed() async throws {
        let path = NSTemporaryDirectory() + "origins-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pool = OriginPool(endpoints: [HTTPEndpoint(host: "127.0.0.1", port: 1)])
        let discovery = OriginDiscoveryService(pool: pool, source: .file(path), logger: TestEnvironment.logger)
        try "# origins\n127.0.0.1:8081\n127.0.0.1:8082  # second\n\n".write(toFile: path, atomically: true, encoding: .utf8)
        discovery.refreshOnce()
        #expect(pool.endpoints.map(\.description) == ["127.0.0.1:8081", "127.0.0.1:8082"])
        // An empty or broken list never empties the pool.
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        discovery.refreshOnce()
        #expect(pool.endpoints.count == 2)
        let dns = OriginDiscoveryService(pool: pool, source: .dns(host: "localhost", port: 9000), logger: TestEnvironment.logger)
        dns.refreshOnce()
        #expect(pool.endpoints.contains(HTTPEndpoint(host: "127.0.0.1", port: 9000)))
    }
}
