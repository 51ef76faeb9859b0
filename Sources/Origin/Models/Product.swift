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
}

/// One page of a tenant's catalogue.
public struct ProductPageResult: Codable, Sendable, Equatable {
    public var products: [Product]
    public var page: Int
    public var perPage: Int
    public var total: Int
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
