import EdgeGateway
import Foundation
import NIOHTTP1
import Shared
import TestSupport
import Testing

/// One JSON line per request with tenant, host, status, cache result, origin and durations.
@Suite struct AccessLogTests {
    @Test func linesDescribeEachRequest() async throws {
        let path = NSTemporaryDirectory() + "access-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let origin = try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "public, s-maxage=60")], body: "page \(head.uri)")
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin], configure: { $0.accessLog = .file(path) }) { edge in
            _ = try await edge.get("/p?q=1")
            _ = try await edge.get("/p?q=1")
            _ = try await edge.client.request("/p", port: edge.ports.https, serverName: edge.alpineDomain, host: edge.harborDomain)
            var lines: [[String: Any]] = []
            try await waitUntil("three lines in the access log", timeout: .seconds(5), pollEvery: .milliseconds(100)) {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                lines = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                return lines.count >= 3
            }
            #expect(lines.count == 3)
            guard lines.count == 3 else { return }
            let miss = lines.first { $0["cache"] as? String == "MISS" }
            let hit = lines.first { $0["cache"] as? String == "HIT" }
            let refused = lines.first { $0["status"] as? Int == 421 }
            #expect(miss?["tenant"] as? String == "alpine")
            #expect(miss?["path"] as? String == "/p?q=1")
            #expect(miss?["origin"] as? String == "127.0.0.1:\(origin.port)")
            #expect(miss?["origin_ms"] is Double || miss?["origin_ms"] is Int)
            #expect(hit?["status"] as? Int == 200)
            #expect(hit?["origin"] == nil)
            #expect(hit?["bytes"] as? Int == "page /p?q=1".utf8.count)
            #expect(refused?["tenant"] as? String == "-")
            #expect(refused?["host"] as? String == edge.harborDomain)
        }
    }
}
