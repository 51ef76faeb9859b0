import EdgeGateway
import Foundation
import LoadGenerator
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fault suite's driver against the real stack (origin on PostgreSQL, edge over TLS), with a second
/// "edge" that refuses every connection: reads and orders reach the real edge through the reroute, the
/// report's counts add up, and every acknowledged order is a row.
@Suite struct FaultDriverTests {
    @Test func refusedEdgeIsReroutedAndAcknowledgedOrdersExist() async throws {
        try await Stack.with { stack in
            let refusing = try ClosedPort()
            defer { withExtendedLifetime(refusing) {} }
            let edge = HTTPEndpoint(host: "127.0.0.1", port: stack.httpsPort)
            let prefix = "fault-e2e-\(UUID().uuidString.prefix(8))"
            var configuration = FaultConfiguration(
                edges: [edge],
                caPath: stack.certificates.caPath,
                tenants: [stack.alpine, stack.harbor].map { LoadTenant(id: $0.id.rawValue, domain: $0.domain.rawValue) },
                keyPrefix: prefix
            )
            configuration.cachedPages = 3
            configuration.readers = 2
            configuration.uncachedShare = 0.3
            configuration.ordersPerSecond = 4
            configuration.duration = .seconds(3)
            configuration.settle = .seconds(5)
            configuration.warmUpDeadline = .seconds(20)
            configuration.recordsTimeline = true
            try await FaultDriver(configuration: configuration).warmUp()

            // The warm-up needs every edge: one that refuses is a setup error naming it.
            configuration.edges = [HTTPEndpoint(host: "127.0.0.1", port: refusing.port), edge]
            configuration.warmUpDeadline = .seconds(1)
            await #expect(throws: FaultDriver.Failure.self) { try await FaultDriver(configuration: configuration).warmUp() }

            let report = try await FaultDriver(configuration: configuration).run()
            let reads = report.reads
            #expect(reads.sent >= 10)
            #expect(reads.failedByStatus.isEmpty, "\(reads.failedByStatus)")
            #expect(reads.ok == reads.sent && reads.stale == 0)
            // Requests alternate between the two edges: about half start at the refusing one.
            #expect(reads.rerouted > 0 && reads.rerouted < reads.sent)
            #expect(reads.cached.sent + reads.uncached.sent == reads.sent && reads.uncached.sent > 0)
            #expect(report.crossTenant == 0)
            #expect(report.writes.sent >= 8 && report.writes.acknowledged == report.writes.sent)
            #expect(report.writes.rerouted > 0 && report.failedKeys.isEmpty)
            #expect(report.acknowledgedKeys.count == report.writes.sent)
            #expect(report.firstFailureAt == nil && report.lastFailureAt == nil)
            #expect(report.timeline.reduce(0) { $0 + $1.ok } == reads.sent + report.writes.sent)

            var rows: [String] = []
            let stream = try await stack.database.owner.query(
                "SELECT idempotency_key FROM orders WHERE idempotency_key LIKE \(prefix + "-%")"
            )
            for try await key in stream.decode(String.self) { rows.append(key) }
            #expect(rows.sorted() == report.acknowledgedKeys.sorted())
        }
    }
}
