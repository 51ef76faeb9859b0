import EdgeCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import ServiceLifecycle
import Shared
import Synchronization

/// The edge's live view of tenants: the directory snapshot and one TLS context per storefront domain.
///
/// Updated as a whole by ``TenantRefreshService``; read by every new TLS connection (certificate choice) and
/// every request (Host check). Readers hold the lock only to copy a reference.
public final class TenantRegistry: Sendable {
    struct Table: Sendable {
        var entries: [TenantDirectoryEntry] = []
        var snapshot = TenantDirectorySnapshot()
        var contexts: [HostName: NIOSSLContext] = [:]
        var certificateStamps: [HostName: CertificateStamp] = [:]
    }

    /// Identifies the certificate files a context was built from, so unchanged files are not reloaded.
    /// Taken through symbolic links: a Kubernetes secret mount swaps a `..data` link when it renews.
    struct CertificateStamp: Equatable, Sendable {
        var certificate: FileStamp
        var key: FileStamp
    }

    struct FileStamp: Equatable, Sendable {
        var path: String
        var modified: Date
        var size: Int
        var inode: Int
    }

    private let table = NIOLockedValueBox(Table())
    private let observers = NIOLockedValueBox([@Sendable (TenantDirectorySnapshot) -> Void]())
    private let certificateDirectory: String?
    private let logger: Logger

    /// - Parameters:
    ///   - certificateDirectory: a folder with one sub-folder per domain holding `tls.crt` and `tls.key`
    ///     (the layout of a cert-manager secret mount); `nil` for an edge without TLS.
    ///   - logger: where certificate problems are reported.
    public init(certificateDirectory: String?, logger: Logger) {
        self.certificateDirectory = certificateDirectory
        self.logger = logger
    }

    /// Calls `observer` with the current directory now and with every changed directory later.
    public func observe(_ observer: @escaping @Sendable (TenantDirectorySnapshot) -> Void) {
        observers.withLockedValue { $0.append(observer) }
        observer(snapshot)
    }

    /// The current tenant directory.
    public var snapshot: TenantDirectorySnapshot { table.withLockedValue { $0.snapshot } }

    /// Changes whenever the directory changes (after the new one is in place), so a connection may keep
    /// what it resolved against the directory while this stays the same.
    public var generation: Int { generationCounter.load(ordering: .acquiring) }
    private let generationCounter = Atomic<Int>(0)

    /// The TLS context for an SNI name, or `nil` when the name is no storefront's (the handshake is refused).
    /// - Parameter serverName: the SNI name, as sent.
    public func tlsContext(forServerName serverName: String) -> (TenantID, NIOSSLContext)? {
        guard let host = HostName(normalising: serverName) else { return nil }
        return table.withLockedValue { table in
            guard let tenant = table.snapshot.tenant(for: host), let context = table.contexts[host] else { return nil }
            return (tenant, context)
        }
    }

    /// Replaces the directory with `entries`, loading certificates for new or changed domains.
    /// - Parameter entries: every storefront the tenant source lists.
    public func update(_ entries: [TenantDirectoryEntry]) {
        let previous = table.withLockedValue { $0 }
        var next = Table(entries: entries, snapshot: TenantDirectorySnapshot(entries))
        if let certificateDirectory {
            for entry in entries {
                let domain = entry.domain
                let folder = "\(certificateDirectory)/\(domain.rawValue)"
                guard let stamp = Self.stamp(folder: folder) else {
                    logger.warning("no certificate for storefront domain", metadata: ["domain": "\(domain)"])
                    continue
                }
                if previous.certificateStamps[domain] == stamp, let context = previous.contexts[domain] {
                    next.contexts[domain] = context
                    next.certificateStamps[domain] = stamp
                    continue
                }
                do {
                    next.contexts[domain] = try Self.makeContext(folder: folder)
                    next.certificateStamps[domain] = stamp
                } catch {
                    logger.error(
                        "cannot load certificate",
                        metadata: ["domain": "\(domain)", "error": "\(error)"]
                    )
                }
            }
        }
        let changed = previous.snapshot != next.snapshot
        for (domain, stamp) in next.certificateStamps where previous.certificateStamps[domain] != stamp {
            logger.info(
                previous.certificateStamps[domain] == nil ? "certificate loaded" : "certificate reloaded",
                metadata: ["domain": "\(domain)"]
            )
        }
        table.withLockedValue { $0 = next }
        if changed {
            generationCounter.add(1, ordering: .releasing)
            for observer in observers.withLockedValue({ $0 }) { observer(next.snapshot) }
        }
        if changed {
            logger.info("tenant directory updated", metadata: ["domains": "\(next.snapshot.count)"])
        }
    }

    /// Loads certificates that appeared or changed on disk since the last look, for the current directory.
    /// New connections get the new certificate; open connections keep theirs.
    public func reloadCertificates() {
        update(table.withLockedValue { $0.entries })
    }

    private static func stamp(folder: String) -> CertificateStamp? {
        guard let certificate = fileStamp("\(folder)/tls.crt"), let key = fileStamp("\(folder)/tls.key") else { return nil }
        return CertificateStamp(certificate: certificate, key: key)
    }

    private static func fileStamp(_ path: String) -> FileStamp? {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        return FileStamp(
            path: resolved,
            modified: modified,
            size: (attributes[.size] as? NSNumber)?.intValue ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? 0
        )
    }

    /// TLS 1.2 and 1.3 only; for TLS 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
    /// ChaCha20-Poly1305); TLS 1.3 suites are all AEAD.
    static let cipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_AES_128_GCM_SHA256, .TLS_AES_256_GCM_SHA384, .TLS_CHACHA20_POLY1305_SHA256,
    ]

    private static func makeContext(folder: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile("\(folder)/tls.crt").map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: "\(folder)/tls.key", format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuiteValues = cipherSuites
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }
}
