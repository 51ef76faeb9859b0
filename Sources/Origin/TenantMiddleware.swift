import HTTPTypes
import Hummingbird
import Logging
import Shared

/// Resolves the request's Host to a storefront and runs the rest of the request inside its ``TenantScope``,
/// with the tenant in every log line.
///
/// If the edge sent the tenant it resolved (`x-storefront-tenant`) and it differs from the origin's own
/// resolution, the request is refused: the two sides disagree about whose data this is.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = OriginRequestContext

    let directory: StorefrontDirectory

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
        var response = try await TenantScope.$current.withValue(storefront.tenantID) {
            try await next(request, context)
        }
        response.headers[.storefrontTenant] = storefront.tenantID.rawValue
        return response
    }
}
