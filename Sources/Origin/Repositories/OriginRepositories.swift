import Logging

/// The repositories the origin's routes use: all the SQL lives behind them.
public struct OriginRepositories: Sendable {
    public var storefronts: any StorefrontRepository
    public var products: any ProductRepository
    public var popular: any PopularProductsRepository
    public var orders: any OrderRepository
    public var admin: any AdminRepository

    public init(
        storefronts: any StorefrontRepository,
        products: any ProductRepository,
        popular: any PopularProductsRepository,
        orders: any OrderRepository,
        admin: any AdminRepository
    ) {
        self.storefronts = storefronts
        self.products = products
        self.popular = popular
        self.orders = orders
        self.admin = admin
    }

    /// Every repository on PostgreSQL, behind the tenant walls of `database`.
    public static func postgres(_ database: TenantDatabase, logger: Logger) -> OriginRepositories {
        OriginRepositories(
            storefronts: PostgresStorefrontRepository(database: database, logger: logger),
            products: PostgresProductRepository(database: database),
            popular: PostgresPopularProductsRepository(database: database),
            orders: PostgresOrderRepository(database: database),
            admin: PostgresAdminRepository(database: database, logger: logger)
        )
    }

    /// Every repository in memory, over one shared ``MemoryDatabase`` (route tests, no PostgreSQL).
    public static func memory(_ database: MemoryDatabase) -> OriginRepositories {
        OriginRepositories(
            storefronts: MemoryStorefrontRepository(database: database),
            products: MemoryProductRepository(database: database),
            popular: MemoryPopularProductsRepository(database: database),
            orders: MemoryOrderRepository(database: database),
            admin: MemoryAdminRepository(database: database)
        )
    }
}
