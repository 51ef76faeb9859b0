import Foundation
import Hummingbird
import Shared

/// The admin API: platform routes (tenant onboarding, bearer admin token; `AdminRoutes+Platform.swift`) and
/// per-tenant routes (catalogue changes, HTTP Basic as one of the tenant's admin users;
/// `AdminRoutes+Tenant.swift`). This file holds their request bodies, decoded strictly.
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

        /// The storefront to create, or a 400 naming the first invalid field.
        func validated() throws -> Storefront {
            guard let tenant = TenantID(id) else {
                throw HTTPError(.badRequest, message: "id must be 1 to 63 of a-z, 0-9 and -")
            }
            guard let host = HostName(normalising: domain), domain.count <= 253 else {
                throw HTTPError(.badRequest, message: "domain is not a valid host name")
            }
            guard (1...200).contains(name.count) else { throw HTTPError(.badRequest, message: "name must be 1 to 200 characters") }
            return Storefront(domain: host, tenantID: tenant, theme: theme ?? Theme(name: name), settings: settings ?? StorefrontSettings())
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

        /// A 400 naming the first invalid field, if any.
        func validate() throws {
            guard email.count <= 254, email.split(separator: "@").count == 2, !email.contains(" ") else {
                throw HTTPError(.badRequest, message: "email is not valid")
            }
            guard (12...128).contains(password.count) else {
                throw HTTPError(.badRequest, message: "password must be 12 to 128 characters")
            }
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

        /// A new product, or a 422 naming the first problem.
        func draft() throws -> ProductDraft {
            if let problem = validationError(creating: true) { throw HTTPError(.unprocessableContent, message: problem) }
            guard let slug, let title, let priceCents, let currency else { throw HTTPError(.unprocessableContent) }
            return ProductDraft(slug: slug, title: title, description: description ?? "", priceCents: priceCents, currency: currency)
        }

        /// Changes to a product, or a 422 naming the first problem.
        func changes() throws -> ProductChanges {
            if let problem = validationError(creating: false) { throw HTTPError(.unprocessableContent, message: problem) }
            return ProductChanges(title: title, description: description, priceCents: priceCents, currency: currency)
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
}
