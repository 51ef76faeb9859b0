import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import PostgresNIO
import Shared

/// The admin API: platform routes (tenant onboarding, bearer admin token) and per-tenant routes (catalogue
/// changes, HTTP Basic as one of the tenant's admin users).
enum AdminRoutes {
    static let maximumBodySize = 64 * 1024

    struct CreateTenant: Decodable {
        var id: String
        var name: String
        var domain: String
        var theme: Theme?
        var settings: StorefrontSettings?

        enum CodingKeys: String, CodingKey { case id, name, domain, theme, settings }

        init(from decoder: any Decoder) throws {
            try StrictJSON.rejectUnknownKeys(decoder, allowed: ["id", "name", "domain", "theme", "settings"])
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            name = try container.decode(String.self, forKey: .name)
            domain = try container.decode(String.self, forKey: .domain)
            theme = try container.decodeIfPresent(Theme.self, forKey: .theme)
            settings = try container.decodeIfPresent(StorefrontSettings.self, forKey: .settings)
        }
    }

    struct CreatedTenant: Codable {
        var tenantId: String
        var domain: String
    }

    struct InitAdmin: Decodable {
        var email: String
        var password: String

        enum CodingKeys: String, CodingKey { case email, password }

        init(from decoder: any Decoder) throws {
            try StrictJSON.rejectUnknownKeys(decoder, allowed: ["email", "password"])
            let container = try decoder.container(keyedBy: CodingKeys.self)
            email = try container.decode(String.self, forKey: .email)
            password = try container.decode(String.self, forKey: .password)
        }
    }

    struct ProductInput: Decodable {
        var slug: String?
        var title: String?
        var description: String?
        var priceCents: Int64?
        var currency: String?

        enum CodingKeys: String, CodingKey { case slug, title, description, priceCents, currency }

        init(from decoder: any Decoder) throws {
            try StrictJSON.rejectUnknownKeys(decoder, allowed: ["slug", "title", "description", "priceCents", "currency"])
            let container = try decoder.container(keyedBy: CodingKeys.self)
            slug = try container.decodeIfPresent(String.self, forKey: .slug)
            title = try container.decodeIfPresent(String.self, forKey: .title)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            priceCents = try container.decodeIfPresent(Int64.self, forKey: .priceCents)
            currency = try container.decodeIfPresent(String.self, forKey: .currency)
        }

        func validationError(creating: Bool) -> String? {
            if creating {
                guard let slug, Responses.isSlug(slug) else { return "slug must be 1 to 128 of a-z, 0-9 and -" }
                guard title != nil, priceCents != nil, currency != nil else { return "title, priceCents and currency are required" }
            } else if slug != nil {
                return "slug cannot change"
            }
            if let title, !(1...200).contains(title.count) { return "title must be 1 to 200 characters" }
            if let description, description.count > 5000 { return "description is at most 5000 characters" }
            if let priceCents, priceCents < 0 { return "priceCents must not be negative" }
            if let currency, currency.count != 3 || !currency.allSatisfy({ $0.isASCII && $0.isUppercase }) {
                return "currency is a 3-letter ISO code"
            }
            return nil
        }
    }

    // MARK: platform

    static func addPlatformRoutes(to router: Router<OriginRequestContext>, services: OriginServices) {
        let admin = router.group("/admin")
        admin.post("/tenants") { request, _ -> Response in
            try requirePlatformToken(request, services: services)
            let input = try await StrictJSON.decode(CreateTenant.self, from: request, limit: maximumBodySize)
            guard let tenant = TenantID(input.id) else {
                throw HTTPError(.badRequest, message: "id must be 1 to 63 of a-z, 0-9 and -")
            }
            guard let domain = HostName(normalising: input.domain), input.domain.count <= 253 else {
                throw HTTPError(.badRequest, message: "domain is not a valid host name")
            }
            guard (1...200).contains(input.name.count) else { throw HTTPError(.badRequest, message: "name must be 1 to 200 characters") }
            let theme = String(decoding: try JSONEncoder().encode(input.theme ?? Theme(name: input.name)), as: UTF8.self)
            let settings = String(decoding: try JSONEncoder().encode(input.settings ?? StorefrontSettings()), as: UTF8.self)
            do {
                try await services.database.primary.withTransaction(logger: services.logger) { connection in
                    try await connection.query("INSERT INTO tenants (id, name) VALUES (\(tenant.rawValue), \(input.name))", logger: services.logger)
                    try await connection.query(
                        """
                        INSERT INTO storefronts (domain, tenant_id, theme, settings)
                        VALUES (\(domain.rawValue), \(tenant.rawValue), \(theme)::jsonb, \(settings)::jsonb)
                        """,
                        logger: services.logger
                    )
                }
            } catch let error as PostgresTransactionError {
                if let psql = error.closureError as? PSQLError, psql.serverInfo?[.sqlState] == "23505" {
                    let constraint = psql.serverInfo?[.constraintName] ?? ""
                    throw HTTPError(.conflict, message: constraint.contains("domain") ? "domain already taken" : "tenant id already taken")
                }
                throw error
            }
            services.directory.invalidate(domain)
            await services.events.tenantsChanged(domain: domain)
            return try Responses.json(CreatedTenant(tenantId: tenant.rawValue, domain: domain.rawValue), status: .created)
        }
        admin.post("/tenants/{id}/init") { request, context -> Response in
            try requirePlatformToken(request, services: services)
            guard let tenant = TenantID(try context.parameters.require("id")) else { throw HTTPError(.notFound, message: "no such tenant") }
            let input = try await StrictJSON.decode(InitAdmin.self, from: request, limit: maximumBodySize)
            guard input.email.count <= 254, input.email.split(separator: "@").count == 2, !input.email.contains(" ") else {
                throw HTTPError(.badRequest, message: "email is not valid")
            }
            guard (12...128).contains(input.password.count) else {
                throw HTTPError(.badRequest, message: "password must be 12 to 128 characters")
            }
            let hash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input.password, cost: 10) }
            let created: Bool = try await TenantScope.withTenant(tenant) {
                try await services.database.write(tenant) { connection in
                    var exists = false
                    for try await _ in try await connection.query("SELECT 1 FROM tenants WHERE id = \(connection.tenant.rawValue)") { exists = true }
                    guard exists else { throw HTTPError(.notFound, message: "no such tenant") }
                    var users = 0
                    for try await count in try await connection.query(
                        "SELECT count(*)::int FROM admin_users WHERE tenant_id = \(connection.tenant.rawValue)"
                    ).decode(Int.self) {
                        users = count
                    }
                    guard users == 0 else { return false }
                    try await connection.query(
                        "INSERT INTO admin_users (tenant_id, email, password_hash) VALUES (\(connection.tenant.rawValue), \(input.email.lowercased()), \(hash))"
                    )
                    return true
                }
            }
            guard created else { throw HTTPError(.conflict, message: "tenant already has an admin user") }
            return Response(status: .created)
        }
    }

    static func requirePlatformToken(_ request: Request, services: OriginServices) throws {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            HTTPComparisons.constantTimeEquals(String(header.dropFirst(7)), services.configuration.adminToken)
        else { throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "admin token required") }
    }

    // MARK: tenant

    static func addTenantRoutes(to group: RouterGroup<TenantRequestContext>, services: OriginServices) {
        group.post("/admin/products") { request, context -> Response in
            try await requireTenantAdmin(request, context: context, services: services)
            let input = try await StrictJSON.decode(ProductInput.self, from: request, limit: maximumBodySize)
            if let problem = input.validationError(creating: true) { throw HTTPError(.unprocessableContent, message: problem) }
            let id: Int64 = try await services.database.write(context.tenant) { connection in
                var id: Int64?
                for try await value in try await connection.query(
                    """
                    INSERT INTO products (tenant_id, slug, title, description, price_cents, currency)
                    VALUES (\(connection.tenant.rawValue), \(input.slug!), \(input.title!), \(input.description ?? ""), \(input.priceCents!), \(input.currency!))
                    ON CONFLICT (tenant_id, slug) DO NOTHING RETURNING id
                    """
                ).decode(Int64.self) {
                    id = value
                }
                guard let id else { throw HTTPError(.conflict, message: "a product with this slug exists") }
                return id
            }
            await services.events.purge(PurgeEvent(tenant: context.tenant, tags: [.catalogue(context.tenant), .product(context.tenant, id)]))
            guard let product = try await services.products.product(context.tenant, slug: input.slug!) else {
                throw HTTPError(.internalServerError)
            }
            return try Responses.json(product, status: .created)
        }
        group.put("/admin/products/{slug}") { request, context -> Response in
            try await requireTenantAdmin(request, context: context, services: services)
            let slug = try context.parameters.require("slug")
            let input = try await StrictJSON.decode(ProductInput.self, from: request, limit: maximumBodySize)
            if let problem = input.validationError(creating: false) { throw HTTPError(.unprocessableContent, message: problem) }
            let id: Int64 = try await services.database.write(context.tenant) { connection in
                var id: Int64?
                for try await value in try await connection.query(
                    """
                    UPDATE products SET
                        title = coalesce(\(input.title), title),
                        description = coalesce(\(input.description), description),
                        price_cents = coalesce(\(input.priceCents), price_cents),
                        currency = coalesce(\(input.currency), currency),
                        updated_at = now()
                    WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug)
                    RETURNING id
                    """
                ).decode(Int64.self) {
                    id = value
                }
                guard let id else { throw HTTPError(.notFound, message: "no such product") }
                return id
            }
            await services.events.purge(PurgeEvent(tenant: context.tenant, tags: [.catalogue(context.tenant), .product(context.tenant, id)]))
            guard let product = try await services.products.product(context.tenant, slug: slug) else { throw HTTPError(.notFound) }
            return try Responses.json(product)
        }
        group.delete("/admin/products/{slug}") { request, context -> Response in
            try await requireTenantAdmin(request, context: context, services: services)
            let slug = try context.parameters.require("slug")
            do {
                let id: Int64 = try await services.database.write(context.tenant) { connection in
                    var id: Int64?
                    for try await value in try await connection.query(
                        "DELETE FROM products WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug) RETURNING id"
                    ).decode(Int64.self) {
                        id = value
                    }
                    guard let id else { throw HTTPError(.notFound, message: "no such product") }
                    return id
                }
                await services.events.purge(PurgeEvent(tenant: context.tenant, tags: [.catalogue(context.tenant), .product(context.tenant, id)]))
                return Response(status: .noContent)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
                throw HTTPError(.conflict, message: "product has orders and cannot be deleted")
            }
        }
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
        let hash: String? = try await services.database.read(context.tenant) { connection in
            for try await hash in try await connection.query(
                "SELECT password_hash FROM admin_users WHERE tenant_id = \(connection.tenant.rawValue) AND email = \(email)"
            ).decode(String.self) {
                return hash
            }
            return nil
        }
        guard let hash else { throw challenge }
        let valid = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        guard valid else { throw challenge }
    }
}
