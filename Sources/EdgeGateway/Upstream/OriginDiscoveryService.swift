import EdgeCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Keeps the pool's members in step with a list that changes while the edge runs: a file of `host:port`
/// lines (a ConfigMap mount), or a DNS name whose addresses are the origins (a headless Service).
public struct OriginDiscoveryService: Service {
    public enum Source: Sendable {
        case file(String)
        case dns(host: String, port: Int)
    }

    let pool: OriginPool
    let source: Source
    let interval: Duration
    let logger: Logger

    public init(pool: OriginPool, source: Source, interval: Duration = .seconds(2), logger: Logger) {
        self.pool = pool
        self.source = source
        self.interval = interval
        self.logger = logger
    }

    /// Reads the source once and updates the pool; an unreadable or empty source keeps the current list.
    public func refreshOnce() {
        let endpoints: [HTTPEndpoint]
        switch source {
        case .file(let path):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                logger.warning("origin list unreadable; keeping the current origins", metadata: ["file": "\(path)"])
                return
            }
            endpoints = Self.parse(text)
        case .dns(let host, let port):
            endpoints = Self.resolve(host).map { HTTPEndpoint(host: $0, port: port) }
        }
        guard !endpoints.isEmpty else {
            logger.warning("origin source lists no origin; keeping the current origins")
            return
        }
        let before = pool.endpoints
        if before != endpoints {
            pool.update(endpoints)
            logger.info("origin pool updated", metadata: ["origins": "\(endpoints.map(\.description).joined(separator: ","))"])
        }
    }

    /// `host:port` per line (commas also separate); blank lines and `#` comments are skipped.
    static func parse(_ text: String) -> [HTTPEndpoint] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "," }).compactMap { line in
            let entry = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : HTTPEndpoint(parsing: trimmed)
        }
    }

    /// The IPv4 and IPv6 addresses of `host`, sorted.
    static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses = Set<String>()
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.insert(String(cString: buffer))
            }
            cursor = info.pointee.ai_next
        }
        return addresses.sorted()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                refreshOnce()
            }
        }
    }
}
