import Logging
import Shared

/// The parts route handlers use, built once per origin. Routes reach data only through the repositories.
struct OriginServices: Sendable {
    let configuration: OriginConfiguration
    let directory: StorefrontDirectory
    let repositories: OriginRepositories
    let popular: PopularProductsService
    let events: any EventPublisher
    let logger: Logger

    /// - Parameters:
    ///   - configuration: tokens and cache lifetimes the routes use.
    ///   - repositories: where the routes read and write.
    ///   - directory: Host resolution; by default one over `repositories.storefronts`.
    ///   - cache: the origin cache (popular products).
    ///   - events: where tenant changes and purges are published.
    ///   - logger: the origin's logger.
    init(
        configuration: OriginConfiguration,
        repositories: OriginRepositories,
        directory: StorefrontDirectory? = nil,
        cache: any OriginCache,
        events: any EventPublisher,
        logger: Logger
    ) {
        self.configuration = configuration
        self.repositories = repositories
        self.directory = directory ?? StorefrontDirectory(repository: repositories.storefronts, ttl: configuration.storefrontCacheTTL)
        self.popular = PopularProductsService(repository: repositories.popular, cache: cache)
        self.events = events
        self.logger = logger
    }

    /// The services on PostgreSQL.
    init(
        configuration: OriginConfiguration,
        database: TenantDatabase,
        directory: StorefrontDirectory,
        cache: any OriginCache,
        events: any EventPublisher,
        logger: Logger
    ) {
        self.init(
            configuration: configuration,
            repositories: .postgres(database, logger: logger),
            directory: directory,
            cache: cache,
            events: events,
            logger: logger
        )
    }

    var storefronts: any StorefrontRepository { repositories.storefronts }
    var products: any ProductRepository { repositories.products }
    var orders: any OrderRepository { repositories.orders }
    var admin: any AdminRepository { repositories.admin }
    var pageCacheControl: String {
        "public, max-age=\(configuration.productMaxAge), s-maxage=\(configuration.productSharedMaxAge)"
    }
}
