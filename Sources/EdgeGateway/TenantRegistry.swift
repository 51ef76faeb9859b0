import EdgeCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import Shared
import Synchronization

/// The edge's live view of tenants: the directory snapshot and one TLS context per storefront domain.
///
/// Updated as a whole by ``TenantRefreshService``; read by every new TLS connection (certificate choice) and
/// every request (Host check). Readers hold the lock only to copy a reference.
public final class TenantRegistry: Sendable {
    struct Table: Sendable {
        var snapshot = TenantDirectorySnapshot()
        var contexts: [HostName: NIOSSLContext] = [:]
        var certificateStamps: [HostName: CertificateStamp] = [:]
    }

    /// Identifies the certificate files a context was built from, so unchanged files are not reloaded.
    struct CertificateStamp: Equatable, Sendable {
        var certificateModified: Date
        var keyModified: Date
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
        var next = Table(snapshot: TenantDirectorySnapshot(entries))
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
        table.withLockedValue { $0 = next }
        if changed {
            generationCounter.add(1, ordering: .releasing)
            for observer in observers.withLockedValue({ $0 }) { observer(next.snapshot) }
        }
        if changed {
            logger.info("tenant directory updated", metadata: ["domains": "\(next.snapshot.count)"])
        }
    }

    private static func stamp(folder: String) -> CertificateStamp? {
        let files = FileManager.default
        guard let cert = try? files.attributesOfItem(atPath: "\(folder)/tls.crt")[.modificationDate] as? Date,
            let key = try? files.attributesOfItem(atPath: "\(folder)/tls.key")[.modificationDate] as? Date
        else { return nil }
        return CertificateStamp(certificateModified: cert, keyModified: key)
    }

    private static func makeContext(folder: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile("\(folder)/tls.crt").map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: "\(folder)/tls.key", format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }
}
