import Foundation

/// Development certificates for test storefronts, issued by `deploy/certs.sh` (the same script as the dev stack)
/// into a fresh temporary folder.
public struct TestCertificates: Sendable {
    /// The folder in the edge's layout: `<domain>/tls.crt`, `<domain>/tls.key`, plus `ca.crt`.
    public let directory: String

    public var caPath: String { "\(directory)/ca.crt" }

    /// Uses certificates already issued into `directory` (owned by someone else: do not ``remove()``).
    public init(existing directory: String) {
        self.directory = directory
    }

    /// Issues certificates for `domains` in a new temporary folder.
    public init(domains: [String]) async throws {
        directory = NSTemporaryDirectory() + "storefront-certs-\(UUID().uuidString)"
        try await Self.issue(into: directory, domains: domains)
    }

    /// Issues certificates for more domains in the same folder (with the same CA).
    public func add(domains: [String]) async throws {
        try await Self.issue(into: directory, domains: domains)
    }

    public func certificatePath(for domain: String) -> String { "\(directory)/\(domain)/tls.crt" }

    /// Deletes the folder.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func issue(into directory: String, domains: [String]) async throws {
        let run = try await ProcessRunner.run("/bin/bash", ["\(TestEnvironment.repositoryRoot)/deploy/certs.sh", directory] + domains)
        guard run.status == 0 else { throw CertificateError.scriptFailed(run.status) }
    }

    public enum CertificateError: Error { case scriptFailed(Int32) }
}
