import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import UpstreamHTTP

extension FaultDriver {
    /// Sends one request like a load balancer in front of the edges would: to the next edge in the
    /// rotation, and to each following one while the connection is refused. One deadline for all tries.
    /// - Returns: how the last try ended, and whether an edge refused it first.
    func sendRerouting(
        _ method: HTTPMethod,
        _ path: String,
        tenant: LoadTenant,
        headers: [(String, String)] = [],
        body: String? = nil,
        on loop: any EventLoop,
        end: ContinuousClock.Instant? = nil
    ) async -> (FaultAttempt, rerouted: Bool) {
        var deadline = ContinuousClock.now + configuration.requestTimeout
        if let end { deadline = min(deadline, end) }
        var attempt = FaultAttempt.refused
        var tried = 0
        for edge in rotation.order(for: nextRequestNumber()) {
            attempt = await send(method, path, tenant: tenant, headers: headers, body: body, edge: edge, on: loop, deadline: deadline)
            tried += 1
            guard attempt == .refused, ContinuousClock.now < deadline else { break }
        }
        return (attempt, tried > 1)
    }

    /// Sends one request to one edge, with the tenant's domain as SNI and `Host`.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        tenant: LoadTenant,
        headers: [(String, String)] = [],
        body: String? = nil,
        edge: Int,
        on loop: any EventLoop,
        deadline: ContinuousClock.Instant
    ) async -> FaultAttempt {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "host", value: tenant.domain)
        head.headers.add(name: "user-agent", value: "storefront-load faults")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let remaining = deadline - ContinuousClock.now
        let nanoseconds = remaining.components.seconds * 1_000_000_000 + remaining.components.attoseconds / 1_000_000_000
        do {
            let response = try await client.execute(
                head,
                body: body.map { ByteBuffer(string: $0) },
                to: configuration.endpoint(edge: edge, for: tenant),
                on: loop,
                deadline: .now() + .nanoseconds(max(0, nanoseconds))
            ).get()
            let stamped = response.head.headers.first(name: "x-storefront-tenant")
            let status = Int(response.head.status.code)
            var namesOther = false
            if stamped == nil, (200..<300).contains(status) {
                let text = String(buffer: response.body)
                namesOther = configuration.tenants.contains { $0.id != tenant.id && $0.domain != tenant.domain && text.contains($0.domain) }
            }
            return .answered(status: status, cache: response.head.headers.first(name: "x-cache"), tenant: stamped, bodyNamesOtherTenant: namesOther)
        } catch {
            return Self.attempt(for: error)
        }
    }

    /// What a client error means for the fault report: no connection at all (refused or connect timeout)
    /// lets the next edge try; after a connection, a timeout, a reset (a TLS connection closed without
    /// `close_notify` too: an edge killed mid-request) or a TLS failure is a failure.
    /// - Parameters:
    ///   - error: what ``HTTP1Client/execute(_:body:to:on:deadline:streamAbove:)`` failed with.
    public static func attempt(for error: any Error) -> FaultAttempt {
        switch error {
        case is NIOConnectionError: .refused
        case ChannelError.connectTimeout(_): .refused
        case HTTPClientError.timeout: .timeout
        case HTTPClientError.connectionClosed(_), is IOError, NIOSSLError.uncleanShutdown: .reset
        case is NIOSSLError: .failed("tls")
        default: .failed("error")
        }
    }

    /// A short description of a try, for setup errors.
    static func describe(_ attempt: FaultAttempt) -> String {
        switch attempt {
        case .answered(let status, let cache, _, _): "status \(status), X-Cache \(cache ?? "absent")"
        case .refused: "connection refused"
        case .timeout: "timeout"
        case .reset: "connection closed or reset"
        case .failed(let kind): kind
        }
    }
}
