import EdgeGateway
import Foundation
import Shared
import TestSupport
import Testing

/// TLS 1.2 and 1.3 only, forward-secret AEAD suites only, checked with an independent client (OpenSSL).
@Suite struct TLSPolicyTests {
    @Test(arguments: [
        ("TLS 1.3", ["-tls1_3"], true),
        ("TLS 1.2 ECDHE AES-GCM", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], true),
        ("TLS 1.2 ECDHE ChaCha20", ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"], true),
        ("TLS 1.1", ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"], false),
        ("TLS 1.0", ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"], false),
        ("TLS 1.2 CBC suite", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"], false),
        ("TLS 1.2 CBC SHA-256 suite", ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"], false),
    ])
    func protocolAndSuite(_ name: String, _ arguments: [String], _ accepted: Bool) async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(body: "ok") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let result = try await OpenSSLClient.handshake(
                port: edge.ports.https,
                serverName: edge.alpineDomain,
                caPath: edge.caPath,
                arguments: arguments
            )
            #expect(result.connected == accepted, "\(name): \(result.output.suffix(400))")
        }
    }

    /// No SNI, or a name that is no storefront's: the handshake fails; no certificate is shown.
    @Test(arguments: [nil, "unknown.test"] as [String?])
    func unknownOrMissingServerName(_ name: String?) async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(body: "ok") }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let result = try await OpenSSLClient.handshake(
                port: edge.ports.https,
                serverName: name ?? edge.alpineDomain,
                caPath: edge.caPath,
                arguments: name == nil ? ["-noservername"] : []
            )
            #expect(!result.connected)
            #expect(!result.output.contains("BEGIN CERTIFICATE"))
        }
    }
}

/// Certificates appear and renew on disk (a cert-manager secret mount) and are served without a restart.
@Suite struct CertificateReloadTests {
    /// Lays out `<dir>/<domain>` like a Kubernetes secret mount: `tls.crt`/`tls.key` are links through a
    /// `..data` link to a versioned folder; renewal swaps `..data`.
    static func mount(domain: String, from issued: String, into directory: String, version: Int) throws {
        let files = FileManager.default
        let folder = "\(directory)/\(domain)"
        try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let versioned = "\(folder)/..v\(version)"
        try files.createDirectory(atPath: versioned, withIntermediateDirectories: true)
        for file in ["tls.crt", "tls.key"] {
            try files.copyItem(atPath: "\(issued)/\(file)", toPath: "\(versioned)/\(file)")
        }
        let link = "\(folder)/..data"
        let staging = "\(folder)/..data_tmp"
        try? files.removeItem(atPath: staging)
        try files.createSymbolicLink(atPath: staging, withDestinationPath: "..v\(version)")
        guard rename(staging, link) == 0 else { throw CocoaError(.fileWriteUnknown) }
        for file in ["tls.crt", "tls.key"] where (try? files.destinationOfSymbolicLink(atPath: "\(folder)/\(file)")) == nil {
            try files.createSymbolicLink(atPath: "\(folder)/\(file)", withDestinationPath: "..data/\(file)")
        }
    }

    @Test func newAndRenewedCertificatesAreServed() async throws {
        let origin = try await FakeOrigin.start { _ in FakeOrigin.Reply(body: "ok") }
        defer { Task { await origin.stop() } }
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let domain = "late-\(suffix).test"
        // The edge's certificate folder starts with another tenant only; the CA is shared.
        let mounted = try await TestCertificates(domains: ["other-\(suffix).test"])
        defer { mounted.remove() }
        let first = try await TestCertificates(domains: [domain])
        defer { first.remove() }
        let renewal = try await TestCertificates(domains: [domain])
        defer { renewal.remove() }
        try await withRunningEdge(
            tenants: [TenantDirectoryEntry(domain: HostName(normalising: domain)!, tenantID: TenantID("late")!)],
            certificates: mounted,
            origins: [HTTPEndpoint(host: "127.0.0.1", port: origin.port)]
        ) { registry, ports, _ in
            let watcher = CertificateWatchService(registry: registry, interval: .milliseconds(100))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await watcher.run() }
                defer { tasks.cancelAll() }
                // A tenant without a certificate yet: refused.
                #expect(!(try await OpenSSLClient.handshake(port: ports.https, serverName: domain, caPath: first.caPath).connected))
                // The certificate appears: served within seconds (trusting the first CA).
                try Self.mount(domain: domain, from: "\(first.directory)/\(domain)", into: mounted.directory, version: 1)
                try await waitUntil("a handshake with the new certificate", timeout: .seconds(5), pollEvery: .milliseconds(100)) {
                    try await OpenSSLClient.handshake(port: ports.https, serverName: domain, caPath: first.caPath).connected
                }
                // Renewed (new key, issued by the renewal's CA): new handshakes get it.
                try Self.mount(domain: domain, from: "\(renewal.directory)/\(domain)", into: mounted.directory, version: 2)
                try await waitUntil("a handshake with the renewed certificate", timeout: .seconds(5), pollEvery: .milliseconds(100)) {
                    try await OpenSSLClient.handshake(port: ports.https, serverName: domain, caPath: renewal.caPath).connected
                }
                #expect(!(try await OpenSSLClient.handshake(port: ports.https, serverName: domain, caPath: first.caPath).connected))
            }
        }
    }
}
