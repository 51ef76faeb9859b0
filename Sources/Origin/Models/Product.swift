import Foundation
import Shared

/// A product as pages and the JSON API show it.
public struct Product: Codable, Sendable, Equatable {
    public var id: Int64
    public var slug: String
    public var title: String
    public var description: String
    public var priceCents: Int64
    public var currency: String
    public var updatedAt: Date

    public init(
        id: Int64,
        slug: String,
        title: String,
        description: String,
        priceCents: Int64,
        currency: String,
        updatedAt: Date
    ) {
        self.id = id
        self.slug = slug
        self.title = title
        self.description = description
        self.priceCents = priceCents
        self.currency = currency
        self.updatedAt = updatedAt
    }
}

/// One page of a tenant's catalogue.
public struct ProductPageResult: Codable, Sendable, Equatable {
    public var products: [Product]
    public var page: Int
    public var perPage: Int
    public var total: Int

    public init(products: [Product], page: Int, perPage: Int, total: Int) {
        self.products = products
        self.page = page
        self.perPage = perPage
        self.total = total
    }
}

/// A new product, validated by the admin route before it reaches a repository.
public struct ProductDraft: Sendable, Equatable {
    public var slug: String
    public var title: String
    public var description: String
    public var priceCents: Int64
    public var currency: String

    public init(slug: String, title: String, description: String = "", priceCents: Int64, currency: String) {
        self.slug = slug
        self.title = title
        self.description = description
        self.priceCents = priceCents
        self.currency = currency
    }
}

/// Changes to a product: `nil` fields keep their value. The slug never changes.
public struct ProductChanges: Sendable, Equatable {
    public var title: String?
    public var description: String?
    public var priceCents: Int64?
    public var currency: String?

    public init(title: String? = nil, description: String? = nil, priceCents: Int64? = nil, currency: String? = nil) {
        self.title = title
        self.description = description
        self.priceCents = priceCents
        self.currency = currency
    }
}
