import EdgeCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Why no origin answered.
enum OriginPoolError: Error, Equatable {
    /// Every origin is unhealthy, ejected or already tried.
    case noUsableOrigin
}

/// The origin instances of a deployment: least-outstanding balancing over the healthy ones, changeable at
/// runtime (``update(_:)``) without dropping requests in flight.
public final class OriginPool: Sendable {
    private let balancer: Mutex<OriginBalancer<HTTPEndpoint>>

    public init(endpoints: [HTTPEndpoint], policy: OriginBalancer<HTTPEndpoint>.Policy = .init()) {
        balancer = Mutex(OriginBalancer(endpoints: endpoints, policy: policy))
    }

    /// Replaces the member list (discovery, config reload); requests in flight to removed members finish.
    public func update(_ endpoints: [HTTPEndpoint]) {
        balancer.withLock { $0.update(endpoints) }
    }

    /// The members now.
    public var endpoints: [HTTPEndpoint] { balancer.withLock { $0.members.map(\.endpoint) } }

    /// Every member's state, for metrics.
    public var members: [OriginBalancer<HTTPEndpoint>.Member] { balancer.withLock { $0.members } }

    func acquire(excluding: Set<HTTPEndpoint>) -> HTTPEndpoint? {
        let now = EdgeRuntime.now()
        return balancer.withLock { $0.acquire(now: now, excluding: excluding) }
    }

    func release(_ endpoint: HTTPEndpoint, outcome: OriginBalancer<HTTPEndpoint>.Outcome) {
        let now = EdgeRuntime.now()
        balancer.withLock { $0.release(endpoint, outcome: outcome, now: now) }
    }

    func probed(_ endpoint: HTTPEndpoint, healthy: Bool) {
        balancer.withLock { $0.probed(endpoint, healthy: healthy) }
    }
}

extension EdgeRuntime {
    /// Sends a request to the least loaded usable origin. An idempotent request that could not reach an
    /// origin (connect failure, or the connection closed before any response byte) is tried once more on
    /// another one. 502/503/504 answers, timeouts and connect failures count towards ejecting the origin.
    func sendToOrigin(
        _ head: HTTPRequestHead,
        body: ByteBuffer?,
        on loop: any EventLoop,
        deadline: NIODeadline,
        streamAbove: Int? = nil,
        tried: Set<HTTPEndpoint> = []
    ) -> EventLoopFuture<(HTTPClientResponse, HTTPEndpoint)> {
        guard let origin = pool.acquire(excluding: tried) else {
            return loop.makeFailedFuture(OriginPoolError.noUsableOrigin)
        }
        let idempotent = head.method == .GET || head.method == .HEAD || head.method == .OPTIONS
        return client.execute(head, body: body, to: origin, on: loop, deadline: deadline, streamAbove: streamAbove)
            .flatMapWithEventLoop { response, loop in
                let failed = [502, 503, 504].contains(Int(response.head.status.code))
                self.pool.release(origin, outcome: failed ? .failure : .success)
                return loop.makeSucceededFuture((response, origin))
            }
            .flatMapErrorWithEventLoop { error, loop in
                self.pool.release(origin, outcome: .failure)
                let unreached = !(error is HTTPClientError) || (error as? HTTPClientError) == .connectionClosed(beforeResponse: true)
                guard idempotent, unreached, tried.count <= 1, NIODeadline.now() < deadline else { return loop.makeFailedFuture(error) }
                self.logger.info("origin unreachable; trying another", metadata: ["origin": "\(origin)", "error": "\(error)"])
                return self.sendToOrigin(head, body: body, on: loop, deadline: deadline, streamAbove: streamAbove, tried: tried.union([origin]))
            }
    }
}

/// Active health checks: `GET <path>` on every origin at an interval; failed probes take an origin out of
/// rotation until one succeeds.
public struct OriginHealthService: Service {
    let pool: OriginPool
    let client: HTTP1Client
    let eventLoop: any EventLoop
    let path: String
    let interval: Duration
    let timeout: TimeAmount
    let logger: Logger

    public init(
        pool: OriginPool,
        client: HTTP1Client,
        eventLoop: any EventLoop,
        path: String = "/health",
        interval: Duration = .seconds(2),
        timeout: TimeAmount = .seconds(1),
        logger: Logger
    ) {
        self.pool = pool
        self.client = client
        self.eventLoop = eventLoop
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.logger = logger
    }

    /// Probes every origin once.
    public func probeAll() async {
        await withTaskGroup(of: Void.self) { group in
            for endpoint in pool.endpoints {
                group.addTask {
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                    head.headers.add(name: "host", value: endpoint.host)
                    let healthy: Bool
                    do {
                        let response = try await client.execute(head, to: endpoint, on: eventLoop, deadline: .now() + timeout).get()
                        healthy = response.head.status == .ok
                    } catch {
                        healthy = false
                    }
                    let before = pool.members.first { $0.endpoint == endpoint }?.healthy
                    pool.probed(endpoint, healthy: healthy)
                    let after = pool.members.first { $0.endpoint == endpoint }?.healthy
                    if let before, let after, before != after {
                        logger.warning(after ? "origin healthy again" : "origin unhealthy", metadata: ["origin": "\(endpoint)"])
                    }
                }
            }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probeAll()
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}

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
