import EdgeCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import ServiceLifecycle
import Shared
import Synchronization

/// Polls the certificate directory and loads new or renewed certificates (cert-manager renews by swapping
/// files under a secret mount; there is nothing to restart).
public struct CertificateWatchService: Service {
    let registry: TenantRegistry
    let interval: Duration

    public init(registry: TenantRegistry, interval: Duration = .seconds(2)) {
        self.registry = registry
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                registry.reloadCertificates()
            }
        }
    }
}
