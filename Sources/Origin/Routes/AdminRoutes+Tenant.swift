import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import Shared

extension AdminRoutes {
    /// `POST /admin/products`, `PUT` and `DELETE /admin/products/{slug}`, for the tenant's admin users on the
    /// tenant's own host. Every change publishes a purge of the tenant's catalogue and the product.
    static func addTenantRoutes(to group: RouterGroup<TenantRequestContext>, services: OriginServices) {
        group.post("/admin/products") { request, context -> Response in
            try await requireTenantAdmin(request, context: context, services: services)
            let draft = try await StrictJSON.decode(ProductInput.self, from: request, limit: maximumBodySize).draft()
            guard let product = try await services.products.create(context.tenant, draft) else {
                throw HTTPError(.conflict, message: "a product with this slug exists")
            }
            await purge(product.id, context: context, services: services)
            return try Responses.json(product, status: .created)
        }
        group.put("/admin/products/{slug}") { request, context -> Response in
            try await requireTenantAdmin(request, context: context, services: services)
            let slug = try context.parameters.require("slug")
            let changes = try await StrictJSON.decode(ProductInput.self, from: request, limit: maximumBodySize).changes()
            guard let product = try await services.products.update(context.tenant, slug: slug, changes) else {
                throw HTTPError(.notFound, message: "no such product")
            }
            await purge(product.id, context: context, services: services)
            return try Responses.json(product)
        }
        group.delete("/admin/products/{slug}") { request, context -> Response in
            try await requireTenantAdmin(request, context: context, services: services)
            let slug = try context.parameters.require("slug")
            switch try await services.products.delete(context.tenant, slug: slug) {
            case .deleted(let id):
                await purge(id, context: context, services: services)
                return Response(status: .noContent)
            case .notFound:
                throw HTTPError(.notFound, message: "no such product")
            case .hasOrders:
                throw HTTPError(.conflict, message: "product has orders and cannot be deleted")
            }
        }
    }

    private static func purge(_ product: Int64, context: TenantRequestContext, services: OriginServices) async {
        await services.events.purge(PurgeEvent(tenant: context.tenant, tags: [.catalogue(context.tenant), .product(context.tenant, product)]))
    }

    /// HTTP Basic as one of the tenant's admin users (bcrypt-verified), else 401.
    static func requireTenantAdmin(_ request: Request, context: TenantRequestContext, services: OriginServices) async throws {
        let challenge = HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"storefront admin\""], message: "admin login required")
        guard let header = request.headers[.authorization], header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        else { throw challenge }
        let email = decoded[..<colon].lowercased()
        let password = String(decoded[decoded.index(after: colon)...])
        guard let hash = try await services.admin.passwordHash(context.tenant, email: email) else { throw challenge }
        let valid = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        guard valid else { throw challenge }
    }
}
