import Foundation

/// Runs the system `curl` against the edge: a real HTTP/2 (and HTTP/1.1) client for end-to-end tests.
public enum Curl {
    /// What curl saw.
    public struct Result: Sendable {
        /// The HTTP version curl negotiated ("2", "1.1").
        public var httpVersion: String
        public var status: Int
        /// Header lines, names lowercased.
        public var headers: [(name: String, value: String)]
        public var body: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case exited(Int32, String)

        public var description: String {
            switch self {
            case .exited(let code, let stderr): "curl exited with \(code): \(stderr)"
            }
        }
    }

    /// GETs `https://<serverName>:<port><path>` over loopback, trusting `caPath`.
    /// - Parameter http2: negotiate HTTP/2 by ALPN (else HTTP/1.1 only).
    public static func get(
        _ path: String,
        port: Int,
        serverName: String,
        caPath: String,
        http2: Bool = true,
        headers: [String] = []
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bodyFile = directory.appendingPathComponent("body").path
        let headerFile = directory.appendingPathComponent("headers").path
        var arguments = [
            "--silent", "--show-error", "--max-time", "60",
            "--cacert", caPath,
            "--resolve", "\(serverName):\(port):127.0.0.1",
            http2 ? "--http2" : "--http1.1",
            "--output", bodyFile, "--dump-header", headerFile,
            "--write-out", "%{http_version} %{http_code}",
        ]
        for header in headers { arguments += ["--header", header] }
        arguments.append("https://\(serverName):\(port)\(path)")
        let run = try await ProcessRunner.run("/usr/bin/curl", arguments)
        guard run.status == 0 else {
            throw Failure.exited(run.status, String(decoding: run.standardError, as: UTF8.self))
        }
        let summary = String(decoding: run.standardOutput, as: UTF8.self).split(separator: " ")
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        let headers = headerText.split(whereSeparator: \.isNewline).dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (
                line[..<colon].lowercased(),
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            )
        }
        return Result(
            httpVersion: summary.first.map(String.init) ?? "",
            status: summary.count > 1 ? Int(summary[1]) ?? 0 : 0,
            headers: headers,
            body: (try? Data(contentsOf: URL(fileURLWithPath: bodyFile))) ?? Data()
        )
    }
}
