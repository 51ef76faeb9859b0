import EdgeGateway
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Shared
import TestSupport
import Testing

/// SIGTERM drains the edge: nothing in flight fails, keep-alive connections close politely, new
/// connections go elsewhere.
@Suite struct DrainTests {
    static func origin(delay: TimeAmount) async throws -> FakeOrigin {
        try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "page \(head.uri)", delay: head.uri.hasPrefix("/slow") ? delay : nil)
        }
    }

    @Test func inFlightFinishesIdleClosesNewRefused() async throws {
        let origin = try await Self.origin(delay: .milliseconds(600))
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let host = edge.alpineDomain
            let busy = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            let idle = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            try await idle.send("GET /fast HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            try await waitUntil("the answer to /fast on the idle connection") { String(buffer: idle.receivedBytes).hasSuffix("page /fast") }
            try await busy.send("GET /slow HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            // Drain once the request is at the origin (held there for 600 ms).
            try await waitUntil("the origin to receive /slow") { origin.requests.contains { $0.uri == "/slow" } }

            async let drained = edge.server.drain(timeout: .seconds(10))
            try await FrontDoorLimitsTests.waitUntilClosed(idle, within: .seconds(2))
            #expect(busy.isActive, "a connection with a request in flight stays open until it is answered")
            await #expect(throws: (any Error).self) {
                _ = try await RawTLSConnection.connect(port: edge.ports.https, serverName: host, caPath: edge.caPath)
            }
            #expect(await drained)
            let answer = String(buffer: busy.receivedBytes)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
            #expect(answer.contains("connection: close"))
            #expect(answer.hasSuffix("page /slow"))
            #expect(!busy.isActive)
        }
    }

    /// HTTP/2: a stream in flight when the drain starts completes (GOAWAY, then close).
    @Test func http2StreamInFlightCompletes() async throws {
        let origin = try await Self.origin(delay: .milliseconds(600))
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            async let result = Curl.get("/slow-h2", port: edge.ports.https, serverName: edge.alpineDomain, caPath: edge.caPath)
            // Drain once the request is in flight (the origin holds it for 600 ms).
            try await waitUntil("the origin to receive /slow-h2") { origin.requestCount > 0 }
            #expect(await edge.server.drain(timeout: .seconds(10)))
            let response = try await result
            #expect(response.httpVersion == "2")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "page /slow-h2")
        }
    }

    /// A rolling restart under load: clients (like a load balancer) move to the second edge when the first
    /// stops accepting; not one request fails, and both edges served some.
    @Test func rollingRestartFailsNothing() async throws {
        let origin = try await Self.origin(delay: .milliseconds(30))
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { first in
            try await EdgeFixture.with(origins: [origin], sameTenantsAs: first) { second in
                let ports = [first.ports.https, second.ports.https]
                // The phases follow what happened, not the clock (a busy CI machine is slow): drain once the
                // first edge has served some requests, stop once the second one has too.
                let stopped = NIOLockedValueBox(false)
                let results = try await withThrowingTaskGroup(of: (served: [Int], failures: [String]).self) { tasks in
                    for worker in 0..<8 {
                        tasks.addTask {
                            var served = [0, 0]
                            var failures: [String] = []
                            var target = 0
                            var index = 0
                            while !stopped.withLockedValue({ $0 }) {
                                index += 1
                                do {
                                    let response = try await first.client.request(
                                        "/slow/\(worker)/\(index)",
                                        port: ports[target],
                                        serverName: first.alpineDomain
                                    )
                                    if response.head.status == .ok {
                                        served[target] += 1
                                    } else {
                                        failures.append("status \(response.head.status.code)")
                                    }
                                } catch let error as HTTPClientError {
                                    failures.append("\(error)")
                                } catch {
                                    // Could not connect: this edge stopped accepting; go to the other one.
                                    guard target == 0 else {
                                        failures.append("\(error)")
                                        continue
                                    }
                                    target = 1
                                }
                            }
                            return (served, failures)
                        }
                    }
                    tasks.addTask {
                        defer { stopped.withLockedValue { $0 = true } }
                        try await waitUntil("16 requests served before the drain", timeout: .seconds(30)) { origin.requestCount >= 16 }
                        #expect(await first.server.drain(timeout: .seconds(10)))
                        let drained = origin.requestCount
                        try await waitUntil("16 more requests served after the drain", timeout: .seconds(30)) { origin.requestCount >= drained + 16 }
                        return ([0, 0], [])
                    }
                    return try await tasks.reduce(into: (served: [0, 0], failures: [String]())) { total, part in
                        total.served[0] += part.served[0]
                        total.served[1] += part.served[1]
                        total.failures += part.failures
                    }
                }
                #expect(results.failures.isEmpty, "\(results.failures)")
                #expect(results.served[0] > 0 && results.served[1] > 0, "\(results.served)")
            }
        }
    }
}
