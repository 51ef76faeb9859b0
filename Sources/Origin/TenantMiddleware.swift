import HTTPTypes
import Hummingbird
import Logging
import Shared

/// Resolves the request's Host to a storefront and runs the rest of the request inside its full
/// ``TenantScope`` (the tenant and the request's own state), with the tenant in every log line.
///
/// The request state is what makes a request read its own writes: once it wrote, its reads go to the primary.
/// It also carries the client's last write position between origins: a request bringing the `sf_wal` cookie
/// (``WALPositionCookie``) reads from the replica only once the replica has replayed that far; a request that
/// wrote hands the primary's position after its writes back in that cookie.
///
/// If the edge sent the tenant it resolved (`x-storefront-tenant`) and it differs from the origin's own
/// resolution, the request is refused: the two sides disagree about whose data this is.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = OriginRequestContext

    let directory: StorefrontDirectory
    /// How long a client keeps its write position: longer than a replica the origin still reads from can lag
    /// (``ReplicaMonitor/Configuration/maximumLagSeconds``, 5 s, plus a probe), so that by then the replica
    /// has the write or is not read at all.
    var writePositionLifetime: Duration = .seconds(10)

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let rawHost = request.head.authority, let host = HostName(normalising: rawHost)
        else {
            return try await next(request, context)
        }
        guard let storefront = try await directory.storefront(for: host) else {
            return try await next(request, context)
        }
        if let claimed = request.headers[.storefrontTenant], claimed != storefront.tenantID.rawValue {
            context.logger.error(
                "edge and origin disagree on the tenant",
                metadata: ["host": "\(host)", "edge": "\(claimed)", "origin": "\(storefront.tenantID)"]
            )
            throw HTTPError(.misdirectedRequest, message: "tenant mismatch")
        }
        var context = context
        context.storefront = storefront
        context.logger[metadataKey: "tenant"] = "\(storefront.tenantID)"
        if let trace = request.headers[HTTPField.Name("traceparent")!].flatMap({ TraceParent(parsing: $0) }) {
            context.logger[metadataKey: "trace_id"] = "\(trace.traceID)"
        }
        let state = TenantScope.RequestState(requiredPosition: WALPositionCookie.position(in: request.headers))
        var response = try await TenantScope.withRequest(storefront.tenantID, state: state) {
            try await next(request, context)
        }
        response.headers[.storefrontTenant] = storefront.tenantID.rawValue
        if let cookie = positionCookie(state, request: request) {
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        return response
    }

    /// The `Set-Cookie` value the request's outcome calls for: the new position after a write, a removal once
    /// the replica has replayed past the position the client brought, else none.
    private func positionCookie(_ state: TenantScope.RequestState, request: Request) -> String? {
        // The edge terminates TLS and says how the client came in.
        let secure = request.headers[HTTPField.Name("x-forwarded-proto")!] == "https"
        if let written = state.writePosition {
            return WALPositionCookie.setting(written, maxAge: writePositionLifetime, secure: secure)
        }
        if state.requiredPosition != nil, state.replicaCaughtUp, !state.hasWritten {
            return WALPositionCookie.clearing(secure: secure)
        }
        return nil
    }
}
