import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import Shared

/// Builds the origin: database clients (as services), tenant resolution, routes.
public enum OriginApplication {
    /// Builds a runnable origin application.
    /// - Parameters:
    ///   - configuration: listener, databases, token.
    ///   - logger: the origin's logger.
    ///   - onServerRunning: called with the bound channel once the listener is up (tests read the port here).
    ///   - metrics: the registry `/metrics` on the admin listener exposes (the process bootstraps
    ///     swift-metrics with it); `nil` serves an empty page.
    public static func build(
        configuration: OriginConfiguration,
        logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let primary = PostgresClient(configuration: configuration.primary.clientConfiguration(), backgroundLogger: logger)
        let replica = PostgresClient(configuration: configuration.replica.clientConfiguration(), backgroundLogger: logger)
        let monitor = ReplicaMonitor(
            primary: primary,
            replica: replica,
            configuration: configuration.replicaMonitor,
            logger: logger
        )
        let database = TenantDatabase(
            primary: primary,
            replica: replica,
            monitor: monitor,
            routing: configuration.routing,
            logger: logger
        )
        let router = buildRouter(configuration: configuration, database: database, logger: logger)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [primary, replica, monitor, adminApplication(configuration: configuration, metrics: metrics, logger: logger)],
            onServerRunning: onServerRunning,
            logger: logger
        )
    }

    /// The admin listener: `/health` and `/metrics`, on its own port so the edge never forwards to it.
    static func adminApplication(
        configuration: OriginConfiguration,
        metrics: PrometheusCollectorRegistry?,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ -> Response in
            var text: [UInt8] = []
            metrics?.emit(into: &text)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: text))
            )
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.adminPort), serverName: nil),
            logger: logger
        )
    }

    static func buildRouter(configuration: OriginConfiguration, database: TenantDatabase, logger: Logger) -> Router<OriginRequestContext> {
        let directory = StorefrontDirectory(database: database, ttl: configuration.storefrontCacheTTL, logger: logger)
        let products = ProductRepository(database: database)
        let router = Router(context: OriginRequestContext.self)

        router.get("/health") { _, _ in "ok\n" }
        router.get("/internal/tenants") { request, _ -> Response in
            guard let token = request.headers[.storefrontInternalToken],
                constantTimeEquals(token, configuration.internalToken)
            else { throw HTTPError(.unauthorized, message: "internal token required") }
            return try jsonResponse(TenantListBody(tenants: try await directory.allEntries()), cacheControl: "no-store")
        }

        router.add(middleware: TenantMiddleware(directory: directory))
        let storefront = router.group(context: TenantRequestContext.self)
        let pageCacheControl = "public, max-age=\(configuration.productMaxAge), s-maxage=\(configuration.productSharedMaxAge)"

        storefront.get("/products/{slug}") { request, context -> Response in
            let product = try await findProduct(products, request: request, context: context)
            let html = ProductPage.render(product: product, storefront: context.storefront)
            return conditional(
                request: request,
                body: ByteBuffer(string: html),
                contentType: "text/html; charset=utf-8",
                cacheControl: pageCacheControl,
                tags: [.tenant(context.tenant), .product(context.tenant, product.id)]
            )
        }
        storefront.get("/api/products/{slug}") { request, context -> Response in
            let product = try await findProduct(products, request: request, context: context)
            return conditional(
                request: request,
                body: ByteBuffer(data: try encoder.encode(product)),
                contentType: "application/json",
                cacheControl: pageCacheControl,
                tags: [.tenant(context.tenant), .product(context.tenant, product.id)]
            )
        }
        storefront.get("/api/storefront") { request, context -> Response in
            conditional(
                request: request,
                body: ByteBuffer(data: try encoder.encode(context.storefront.theme)),
                contentType: "application/json",
                cacheControl: pageCacheControl,
                tags: [.tenant(context.tenant)]
            )
        }
        return router
    }

    private static func findProduct(
        _ products: ProductRepository,
        request: Request,
        context: TenantRequestContext
    ) async throws -> Product {
        let slug = try context.parameters.require("slug")
        guard slug.utf8.count <= 128, slug.utf8.allSatisfy({ $0 == 45 || (48...57).contains($0) || (97...122).contains($0) }),
            let product = try await products.product(context.tenant, slug: slug)
        else { throw HTTPError(.notFound, message: "no such product") }
        return product
    }

    /// A cacheable response with a strong ETag, answered 304 when `If-None-Match` matches.
    private static func conditional(
        request: Request,
        body: ByteBuffer,
        contentType: String,
        cacheControl: String,
        tags: [SurrogateKey]
    ) -> Response {
        let etag = EntityTag.strong(for: body.readableBytesView)
        var headers: HTTPFields = [
            .cacheControl: cacheControl,
            .eTag: etag,
            .surrogateKey: tags.map(\.rawValue).joined(separator: " "),
        ]
        if let ifNoneMatch = request.headers[.ifNoneMatch], EntityTag.matches(ifNoneMatch: ifNoneMatch, etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    private static func jsonResponse(_ value: some Encodable, cacheControl: String) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: cacheControl],
            body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value)))
        )
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// `{"tenants": [...]}`, the body of `GET /internal/tenants` (the edge reads it as its `TenantList`).
struct TenantListBody: Encodable {
    var tenants: [TenantDirectoryEntry]
}
