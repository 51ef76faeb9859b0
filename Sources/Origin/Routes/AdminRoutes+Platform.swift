import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import Shared

extension AdminRoutes {
    /// `POST /admin/tenants` and `POST /admin/tenants/{id}/init`, for the platform's bearer token.
    static func addPlatformRoutes(to router: Router<OriginRequestContext>, services: OriginServices) {
        let admin = router.group("/admin")
        admin.post("/tenants") { request, _ -> Response in
            try requirePlatformToken(request, services: services)
            let input = try await StrictJSON.decode(CreateTenant.self, from: request, limit: maximumBodySize)
            let storefront = try input.validated()
            switch try await services.admin.createTenant(name: input.name, storefront: storefront) {
            case .created: break
            case .idTaken: throw HTTPError(.conflict, message: "tenant id already taken")
            case .domainTaken: throw HTTPError(.conflict, message: "domain already taken")
            }
            services.directory.invalidate(storefront.domain)
            await services.events.tenantsChanged(domain: storefront.domain)
            let created = CreatedTenant(tenantId: storefront.tenantID.rawValue, domain: storefront.domain.rawValue)
            return try Responses.json(created, status: .created)
        }
        admin.post("/tenants/{id}/init") { request, context -> Response in
            try requirePlatformToken(request, services: services)
            guard let tenant = TenantID(try context.parameters.require("id")) else { throw HTTPError(.notFound, message: "no such tenant") }
            let input = try await StrictJSON.decode(InitAdmin.self, from: request, limit: maximumBodySize)
            try input.validate()
            let hash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input.password, cost: 10) }
            // A platform request acts for one tenant here: its admin user is a tenant row.
            let created = try await TenantScope.withTenant(tenant) {
                try await services.admin.createFirstAdmin(tenant, email: input.email.lowercased(), passwordHash: hash)
            }
            switch created {
            case .created: return Response(status: .created)
            case .noSuchTenant: throw HTTPError(.notFound, message: "no such tenant")
            case .alreadyHasAdmin: throw HTTPError(.conflict, message: "tenant already has an admin user")
            }
        }
    }

    static func requirePlatformToken(_ request: Request, services: OriginServices) throws {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            HTTPComparisons.constantTimeEquals(String(header.dropFirst(7)), services.configuration.adminToken)
        else { throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "admin token required") }
    }
}
