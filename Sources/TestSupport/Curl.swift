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
        /// Body bytes curl received (`%{size_download}`); for HEAD, where curl writes the header to the
        /// output file, the way to see that no body came.
        public var bodyBytesReceived: Int

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
        try await requests([path], port: port, serverName: serverName, caPath: caPath, http2: http2, headers: headers)[0]
    }

    /// Requests each of `paths` in turn on one connection (HTTP/2: one stream each), with the same `headers`.
    /// - Parameter head: send HEAD instead of GET.
    public static func requests(
        _ paths: [String],
        port: Int,
        serverName: String,
        caPath: String,
        http2: Bool = true,
        head: Bool = false,
        headers: [String] = []
    ) async throws -> [Result] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let headerFile = directory.appendingPathComponent("headers").path
        var arguments = [
            "--silent", "--show-error", "--max-time", "60",
            "--cacert", caPath,
            "--resolve", "\(serverName):\(port):127.0.0.1",
            http2 ? "--http2" : "--http1.1",
            "--dump-header", headerFile,
            "--write-out", "%{http_version} %{http_code} %{size_download}\\n",
        ]
        if head { arguments.append("--head") }
        for header in headers { arguments += ["--header", header] }
        for (index, path) in paths.enumerated() {
            arguments += ["--output", directory.appendingPathComponent("body-\(index)").path, "https://\(serverName):\(port)\(path)"]
        }
        let run = try await ProcessRunner.run("/usr/bin/curl", arguments)
        guard run.status == 0 else {
            throw Failure.exited(run.status, String(decoding: run.standardError, as: UTF8.self))
        }
        let summaries = String(decoding: run.standardOutput, as: UTF8.self).split(separator: "\n").map { $0.split(separator: " ") }
        // Every transfer's header block goes to the same file, each starting with its status line.
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        var blocks: [[(name: String, value: String)]] = []
        for line in headerText.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("HTTP/") {
                blocks.append([])
                continue
            }
            guard !blocks.isEmpty, let colon = line.firstIndex(of: ":") else { continue }
            blocks[blocks.count - 1].append(
                (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            )
        }
        return paths.indices.map { index in
            let summary = index < summaries.count ? summaries[index] : []
            return Result(
                httpVersion: summary.first.map(String.init) ?? "",
                status: summary.count > 1 ? Int(summary[1]) ?? 0 : 0,
                headers: index < blocks.count ? blocks[index] : [],
                body: (try? Data(contentsOf: directory.appendingPathComponent("body-\(index)"))) ?? Data(),
                bodyBytesReceived: summary.count > 2 ? Int(summary[2]) ?? -1 : -1
            )
        }
    }
}
