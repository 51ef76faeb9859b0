import Foundation

/// `openssl s_client` as an independent TLS client: which protocol versions and cipher suites the edge
/// accepts, and which certificate it presents.
public enum OpenSSLClient {
    public struct Result: Sendable {
        /// Whether the handshake completed.
        public var connected: Bool
        /// Everything s_client printed (negotiated protocol and cipher, the certificate).
        public var output: String
    }

    /// Runs a handshake with SNI `serverName` and extra s_client `arguments`, then closes.
    public static func handshake(port: Int, serverName: String, caPath: String, arguments: [String] = []) async throws -> Result {
        let run = try await ProcessRunner.run(
            "/usr/bin/openssl",
            ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", serverName, "-CAfile", caPath, "-showcerts", "-verify_return_error"]
                + arguments
        )
        let text = String(decoding: run.standardOutput + run.standardError, as: UTF8.self)
        return Result(connected: run.status == 0 && text.contains("BEGIN CERTIFICATE"), output: text)
    }
}
