import ArgumentParser
import Foundation
import LoadGenerator
import UpstreamHTTP

/// `storefront-load faults`: the fault suite's driver. Reads and orders through the edges for a fixed time,
/// a JSON report of how each ended; the suite judges it.
struct FaultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract:
            "Drives reads (cached and never-requested pages) and a stream of orders through the edges for a fixed time, then retries each failed order once; writes a JSON report.",
        discussion:
            "Exits with status 0 when the run happened (the caller judges the report), 1 on setup errors (bad options, an edge or page that never answers X-Cache: HIT in the warm-up, a report that cannot be written)."
    )

    @Option(help: "The edges' HTTPS listeners (host:port,…); requests go round-robin, a refused connection goes to the next edge.")
    var edges = "127.0.0.1:8443"
    @Option(help: "The CA file of the storefront certificates.") var ca = ".state/certs/ca.crt"
    @Option(help: "Tenants as id=domain,… (required).") var tenants = ""
    @Option(help: "product-1 … product-N of every tenant are the cached pages (warmed on every edge until X-Cache: HIT).")
    var cachedPages = 20
    @Option(help: "Share of reads that go to pages never requested before (a unique ?fault=<key-prefix>-<n> query).")
    var uncachedShare = 0.2
    @Option(help: "Concurrent read loops.") var readers = 8
    @Option(help: "Seconds one request may take, reroutes included.") var requestTimeout = 15.0
    @Option(help: "Orders per second (POST /api/orders with Idempotency-Key <key-prefix>-<n>); 0: none.") var ordersPerSecond = 2.0
    @Option(help: "Prefix of the idempotency keys (letters, digits, . _ -); default faults-<unix time>.") var keyPrefix: String?
    @Option(help: "Seconds of the timed run.") var seconds = 10.0
    @Option(help: "Seconds after the run in which each failed order is retried once (same key and body).") var settleSeconds = 20.0
    @Option(help: "Seconds the cached pages may take to answer X-Cache: HIT on every edge.") var warmUpSeconds = 60.0
    @Option(help: "Where the JSON report goes (default: not written, only the summary line).") var report: String?
    @Flag(help: "Put per-second counts in the report (for the time to recover).") var timeline = false
    @Option(help: "Random seed of the readers.") var seed: UInt64 = 42

    func run() async throws {
        do {
            let driver = try FaultDriver(configuration: try makeConfiguration())
            Self.note(
                "warming \(cachedPages) page(s) of \(driver.configuration.tenants.count) tenant(s) on \(driver.configuration.edges.count) edge(s)"
            )
            try await driver.warmUp()
            let result = await driver.run { Self.note($0) }
            if let report {
                try result.json().write(to: URL(fileURLWithPath: report))
            }
            print(result.summaryLine)
        } catch let failure as FaultDriver.Failure {
            throw Self.fail(failure.description)
        } catch let failure as ValidationError {
            throw Self.fail(failure.message)
        } catch {
            throw Self.fail("\(error)")
        }
    }

    private func makeConfiguration() throws -> FaultConfiguration {
        var endpoints: [HTTPEndpoint] = []
        for text in edges.split(separator: ",") {
            guard let endpoint = HTTPEndpoint(parsing: text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--edges: '\(text)' is not host:port")
            }
            endpoints.append(endpoint)
        }
        let parsed = LoadCommand.parseTenants(tenants)
        guard parsed.count == tenants.split(separator: ",").count else { throw ValidationError("--tenants must be id=domain,…") }
        guard seconds.isFinite, requestTimeout.isFinite, settleSeconds.isFinite, settleSeconds >= 0, warmUpSeconds.isFinite else {
            throw ValidationError("--seconds, --request-timeout, --settle-seconds and --warm-up-seconds are numbers of seconds")
        }
        var configuration = FaultConfiguration(
            edges: endpoints,
            caPath: ca,
            tenants: parsed,
            keyPrefix: keyPrefix ?? "faults-\(Int(Date().timeIntervalSince1970))"
        )
        configuration.cachedPages = cachedPages
        configuration.uncachedShare = uncachedShare
        configuration.readers = readers
        configuration.requestTimeout = .milliseconds(Int64(requestTimeout * 1000))
        configuration.ordersPerSecond = ordersPerSecond
        configuration.duration = .milliseconds(Int64(seconds * 1000))
        configuration.settle = .milliseconds(Int64(settleSeconds * 1000))
        configuration.warmUpDeadline = .milliseconds(Int64(warmUpSeconds * 1000))
        configuration.recordsTimeline = timeline
        configuration.seed = seed
        if !FileManager.default.isReadableFile(atPath: ca) { throw ValidationError("--ca: cannot read \(ca)") }
        return configuration
    }

    /// What the driver does next, on stderr.
    private static func note(_ text: String) {
        FileHandle.standardError.write(Data("storefront-load faults: \(text)\n".utf8))
    }

    /// Prints `message` and gives the exit status of a setup error.
    private static func fail(_ message: String) -> ExitCode {
        note("error: \(message)")
        return ExitCode(1)
    }
}
