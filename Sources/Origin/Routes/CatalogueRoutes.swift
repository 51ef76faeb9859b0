import Foundation
import Hummingbird
import Metrics
import Shared

/// Storefront pages and the catalogue API, all inside one tenant.
enum CatalogueRoutes {
    struct StorefrontBody: Encodable {
        var theme: Theme
        var settings: StorefrontSettings
    }

    static func add(to group: RouterGroup<TenantRequestContext>, services: OriginServices) {
        addProductRoutes(to: group, services: services)
        addListRoutes(to: group, services: services)
    }

    /// One product, as a page and as JSON.
    private static func addProductRoutes(to group: RouterGroup<TenantRequestContext>, services: OriginServices) {
        let cacheControl = services.pageCacheControl
        group.get("/products/{slug}") { request, context -> Response in
            // Product pages that reached an origin, per tenant: the hit ratio as the origins observe it
            // (the load tool's per-tenant view). One series per storefront, a bounded set.
            Counter(label: "storefront_origin_product_pages_total", dimensions: [("tenant", context.tenant.rawValue)]).increment()
            let product = try await find(services, request: request, context: context)
            let locale = request.uri.queryParameters.get("locale")
            let html = ProductPage.render(product: product, storefront: context.storefront, locale: locale)
            return Responses.conditional(
                request: request,
                body: ByteBuffer(string: html),
                contentType: "text/html; charset=utf-8",
                cacheControl: cacheControl,
                tags: [.tenant(context.tenant), .product(context.tenant, product.id)]
            )
        }
        group.get("/api/products/{slug}") { request, context -> Response in
            let product = try await find(services, request: request, context: context)
            return try Responses.json(
                request: request,
                product,
                cacheControl: cacheControl,
                tags: [.tenant(context.tenant), .product(context.tenant, product.id)]
            )
        }
    }

    /// Lists: catalogue pages (JSON and HTML), popular products, the storefront's settings.
    private static func addListRoutes(to group: RouterGroup<TenantRequestContext>, services: OriginServices) {
        let cacheControl = services.pageCacheControl
        group.get("/api/products") { request, context -> Response in
            let result = try await listPage(services, request: request, context: context)
            return try Responses.json(
                request: request,
                result,
                cacheControl: cacheControl,
                tags: [.tenant(context.tenant), .catalogue(context.tenant)]
            )
        }
        group.get("/products") { request, context -> Response in
            let result = try await listPage(services, request: request, context: context)
            return Responses.conditional(
                request: request,
                body: ByteBuffer(string: ProductPage.renderList(result, storefront: context.storefront)),
                contentType: "text/html; charset=utf-8",
                cacheControl: cacheControl,
                tags: [.tenant(context.tenant), .catalogue(context.tenant)]
            )
        }
        group.get("/api/popular") { request, context -> Response in
            let popular = try await services.popular.popular(context.tenant)
            return try Responses.json(
                request: request,
                popular,
                cacheControl: "public, max-age=0, s-maxage=60",
                tags: [.tenant(context.tenant), .catalogue(context.tenant)]
            )
        }
        group.get("/api/storefront") { request, context -> Response in
            try Responses.json(
                request: request,
                StorefrontBody(theme: context.storefront.theme, settings: context.storefront.settings),
                cacheControl: cacheControl,
                tags: [.tenant(context.tenant)]
            )
        }
    }

    private static func listPage(_ services: OriginServices, request: Request, context: TenantRequestContext) async throws -> ProductPageResult {
        let page = try pageNumber(request.uri.queryParameters.get("page"), default: 1, range: 1...10_000, name: "page")
        let perPage = try pageNumber(request.uri.queryParameters.get("perPage"), default: 24, range: 1...100, name: "perPage")
        return try await services.products.list(context.tenant, page: page, perPage: perPage)
    }

    static func pageNumber(_ raw: String?, default value: Int, range: ClosedRange<Int>, name: String) throws -> Int {
        guard let raw else { return value }
        guard let number = Int(raw), range.contains(number) else {
            throw HTTPError(.badRequest, message: "\(name) must be \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private static func find(_ services: OriginServices, request: Request, context: TenantRequestContext) async throws -> Product {
        let slug = try context.parameters.require("slug")
        guard Responses.isSlug(slug), let product = try await services.products.product(context.tenant, slug: slug) else {
            throw HTTPError(.notFound, message: "no such product")
        }
        return product
    }
}
