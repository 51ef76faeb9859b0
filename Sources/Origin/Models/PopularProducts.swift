/// A product in the popular list, with the units sold in the window.
public struct PopularProduct: Codable, Sendable, Hashable {
    public var id: Int64
    public var slug: String
    public var title: String
    public var priceCents: Int64
    public var currency: String
    public var unitsSold: Int64
}

/// The popular list of one tenant, as cached.
public struct PopularProducts: Codable, Sendable, Equatable {
    public var tenant: String
    public var windowDays: Int
    public var products: [PopularProduct]
}
