import Foundation
import TestSupport
import Testing

/// `origin serve` in production mode (`--production` or `STOREFRONT_ENV=production`) refuses to start with a
/// missing, development-default or short internal or platform admin token, saying which and exiting
/// non-zero; with proper tokens it serves.
@Suite struct OriginProductionModeTests {
    static let strong = String(repeating: "s", count: 40)
    static var originPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("origin").path
    }

    @Test(arguments: [
        ([String](), "--internal-token / INTERNAL_TOKEN is the development default"),
        (["--internal-token", strong], "--admin-token / ADMIN_TOKEN is the development default"),
        (["--internal-token", strong, "--admin-token", "0123456789"], "--admin-token / ADMIN_TOKEN is shorter than 32 characters"),
        (["--internal-token", "", "--admin-token", strong], "--internal-token / INTERNAL_TOKEN is missing"),
    ])
    func refusesToStart(arguments: [String], message: String) async throws {
        let run = try await ExitingProcess.run(Self.originPath, ["serve", "--production", "--port", "0", "--admin-port", "0"] + arguments)
        let output = run.output
        #expect(run.status != 0)
        #expect(output.contains("production mode refuses to start"), "\(output)")
        #expect(output.contains(message), "\(output)")
    }

    @Test func theEnvironmentVariableTurnsProductionModeOn() async throws {
        let run = try await ExitingProcess.run(
            Self.originPath,
            ["serve", "--port", "0", "--admin-port", "0"],
            environment: ["STOREFRONT_ENV": "production"]
        )
        let output = run.output
        #expect(run.status != 0)
        #expect(output.contains("production mode refuses to start"), "\(output)")
    }

    @Test func servesWithProperTokens() async throws {
        try await OriginProcess.with(["--production", "--internal-token", Self.strong, "--admin-token", Self.strong + "a"]) { origin in
            let health = try await PlainHTTP.send(.GET, "/health", host: "origin.internal", port: origin.port)
            #expect(health.head.status == .ok)
        }
    }
}
