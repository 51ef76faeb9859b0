import Foundation
import TestSupport
import Testing

/// The `edge` executable in production mode (`--production` or `STOREFRONT_ENV=production`) refuses to start
/// with a missing, development-default or short token, saying which and exiting non-zero; with proper
/// tokens it starts.
@Suite struct EdgeProductionModeTests {
    static let strong = String(repeating: "k", count: 40)
    static var edgePath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("edge").path
    }

    @Test(arguments: [
        (["--production"], "--internal-token / INTERNAL_TOKEN is the development default"),
        (["--production", "--internal-token", strong], "--admin-token / EDGE_ADMIN_TOKEN is the development default"),
        (
            ["--production", "--internal-token", "short-token", "--admin-token", strong],
            "--internal-token / INTERNAL_TOKEN is shorter than 32 characters"
        ),
        (["--production", "--internal-token", "", "--admin-token", strong], "--internal-token / INTERNAL_TOKEN is missing"),
    ])
    func refusesToStart(arguments: [String], message: String) async throws {
        let run = try await ExitingProcess.run(Self.edgePath, arguments + ["--https-port", "0", "--http-port", "0", "--admin-port", "9"])
        let output = run.output
        #expect(run.status != 0)
        #expect(output.contains("production mode refuses to start"), "\(output)")
        #expect(output.contains(message), "\(output)")
    }

    @Test func theEnvironmentVariableTurnsProductionModeOn() async throws {
        let run = try await ExitingProcess.run(
            Self.edgePath,
            ["--https-port", "0", "--http-port", "0"],
            environment: ["STOREFRONT_ENV": "production"]
        )
        let output = run.output
        #expect(run.status != 0)
        #expect(output.contains("production mode refuses to start"), "\(output)")
    }

    @Test func startsWithProperTokens() async throws {
        let domain = "prod-\(UInt32.random(in: 0..<UInt32.max)).test"
        let certificates = try await TestCertificates(domains: [domain])
        defer { certificates.remove() }
        let tenants = "\(certificates.directory)/tenants.json"
        try Data(#"{"tenants":[{"domain":"\#(domain)","tenantId":"shop"}]}"#.utf8).write(to: URL(fileURLWithPath: tenants))
        let edge = try EdgeProcess.start([
            "--production", "--internal-token", Self.strong, "--admin-token", Self.strong + "x",
            "--bind", "127.0.0.1", "--https-port", "0", "--http-port", "0", "--admin-port", "0",
            "--origins", "127.0.0.1:9", "--tenants", tenants, "--cert-dir", certificates.directory,
            "--redis", "off", "--health-interval", "0", "--access-log", "off",
        ])
        defer { edge.kill() }
        _ = try await edge.httpsPort()
        #expect(!edge.output.contains("refuses"))
    }
}
