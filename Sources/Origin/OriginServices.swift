import Logging
import Shared

/// The parts route handlers use, built once per origin.
struct OriginServices: Sendable {
    let configuration: OriginConfiguration
    let database: TenantDatabase
    let directory: StorefrontDirectory
    let cache: any OriginCache
    let events: any EventPublisher
    let logger: Logger

    var products: ProductRepository { ProductRepository(database: database) }
    var orders: OrderRepository { OrderRepository(database: database) }
    var popular: PopularProductsService { PopularProductsService(database: database, cache: cache) }
    var pageCacheControl: String {
        "public, max-age=\(configuration.productMaxAge), s-maxage=\(configuration.productSharedMaxAge)"
    }
}
