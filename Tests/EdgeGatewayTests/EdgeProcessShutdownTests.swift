import EdgeGateway
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `edge` executable under SIGTERM, as a rolling deploy sends it: the request in flight completes, the
/// drain ends with every connection closed (not at its timeout), and the process exits 0, with a client
/// connection that never starts TLS, and Redis unreachable (a closed port) or subscribed to (the shared one).
@Suite struct EdgeProcessShutdownTests {
    @Test(arguments: [false, true])
    func sigtermDrainsAndExits(redisUp: Bool) async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "page \(head.uri)", gate: head.uri == "/slow" ? gate : nil)
        }
        defer { Task { await origin.stop() } }
        let domain = "shop-\(UInt32.random(in: 0..<UInt32.max)).test"
        let certificates = try await TestCertificates(domains: [domain])
        defer { certificates.remove() }
        let tenants = "\(certificates.directory)/tenants.json"
        try Data(#"{"tenants":[{"domain":"\#(domain)","tenantId":"shop"}]}"#.utf8).write(to: URL(fileURLWithPath: tenants))
        let closedPort = try ClosedPort()
        let redis = redisUp ? TestEnvironment.redisPort : closedPort.port
        let edge = try EdgeProcess.start([
            "--bind", "127.0.0.1", "--https-port", "0", "--http-port", "0", "--admin-port", "0",
            "--origins", "127.0.0.1:\(origin.port)", "--tenants", tenants, "--cert-dir", certificates.directory,
            "--redis", "127.0.0.1:\(redis)", "--health-interval", "0", "--access-log", "off", "--drain-timeout", "30",
        ])
        defer { edge.kill() }
        let port = try await edge.httpsPort()
        let client = try HTTPSTestClient(caPath: certificates.caPath)
        #expect(try await client.request("/fast", port: port, serverName: domain).text == "page /fast")
        let silent = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
        defer { silent.close(promise: nil) }

        let inFlight = Task { try await client.request("/slow", port: port, serverName: domain) }
        try await waitUntil("the origin to receive /slow") { origin.requests.contains { $0.uri == "/slow" } }
        edge.signal(SIGTERM)
        try await waitUntil("the edge to stop accepting") {
            (try? await client.request("/fast", port: port, serverName: domain)) == nil
        }
        gate.open()
        let answer = try await inFlight.value
        #expect(answer.head.status == .ok)
        #expect(answer.text == "page /slow")
        // Bounded by the drain timeout (30 s) plus a margin; a hang fails here.
        try await waitUntil("the edge to exit", timeout: .seconds(45)) { !edge.isRunning }
        #expect(edge.exitStatus == 0)
        #expect(edge.output.contains("edge drained"), "\(edge.output)")
        #expect(!edge.output.contains("drain timed out"), "\(edge.output)")
    }
}

/// This build's `edge` executable as a child process, its output collected as it arrives.
final class EdgeProcess: Sendable {
    private let child: ChildProcess

    private init(child: ChildProcess) {
        self.child = child
    }

    /// What the process wrote so far (stdout and stderr).
    var output: String { child.output }
    var isRunning: Bool { child.isRunning }
    var exitStatus: Int32? { child.exitStatus }

    /// Starts `.build/debug/edge` (next to the test bundle) with `arguments`.
    static func start(_ arguments: [String]) throws -> EdgeProcess {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("edge")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw Failure(description: "no edge executable at \(url.path): run `swift build --build-tests` first")
        }
        return EdgeProcess(child: try ChildProcess.start(url.path, arguments))
    }

    /// The HTTPS port from the "edge listening" line.
    func httpsPort() async throws -> Int {
        var port: Int?
        try await waitUntil("the edge to report its HTTPS port", timeout: .seconds(20)) {
            guard isRunning else { throw Failure(description: "edge exited: \(output)") }
            port =
                output.split(separator: "\n").lazy.compactMap { line -> Int? in
                    guard line.contains("edge listening"), let range = line.range(of: "https=") else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                }.first
            return port != nil
        }
        return port!
    }

    func signal(_ signal: Int32) { child.signal(signal) }

    /// SIGKILL if still running (cleanup after a failed test).
    func kill() { child.kill() }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }
}
