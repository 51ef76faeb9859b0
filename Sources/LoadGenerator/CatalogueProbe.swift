import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import UpstreamHTTP

/// One page of a tenant's catalogue as `GET /api/products?page=&perPage=` answers it (the fields the load
/// tool reads).
public struct CatalogueListing: Decodable, Sendable, Equatable {
    /// One product of the page.
    public struct Entry: Decodable, Sendable, Equatable {
        public var slug: String
    }

    /// The page's products, ordered by id.
    public var products: [Entry]
    /// How many products the tenant has in all.
    public var total: Int

    /// Parses the origin's JSON.
    public static func parse(_ body: Data) throws -> CatalogueListing {
        try JSONDecoder().decode(CatalogueListing.self, from: body)
    }

    /// The request for the page that holds the catalogue's last product (100 per page, the most the
    /// origin gives).
    static func lastPagePath(total: Int) -> String {
        "/api/products?page=\((total - 1) / 100 + 1)&perPage=100"
    }

    /// The catalogue size the load tool can request, from the first page's `total` and the last page: the
    /// load asks for `product-1` … `product-N`, so the last product must be `product-N` (true of what
    /// `origin seed` creates; a catalogue with other slugs needs `--products`).
    static func size(total: Int, lastPage: CatalogueListing) throws -> Int {
        guard total > 0 else { throw CatalogueProbe.Failure("has no products") }
        guard let last = lastPage.products.last?.slug, last == "product-\(total)" else {
            let found = lastPage.products.last?.slug ?? "nothing"
            throw CatalogueProbe.Failure("has \(total) products but they are not product-1 … product-\(total) (the last is \(found))")
        }
        return total
    }
}

/// Asks the stack, through the cache under test, how many products each tenant has, so that the load
/// requests only products that exist.
public struct CatalogueProbe: Sendable {
    /// Why a tenant's catalogue size could not be learned.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        init(_ description: String) { self.description = description }
    }

    private let configuration: LoadConfiguration
    private let client: HTTP1Client
    private let loop: any EventLoop

    /// - Parameters:
    ///   - configuration: the cache to ask through (with its CA) and the tenants.
    ///   - group: the event loops the requests run on.
    public init(configuration: LoadConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.configuration = configuration
        client = try configuration.makeEdgeClient(group: group)
        loop = group.next()
    }

    /// The configuration's tenants, each with the catalogue size the stack reports (two requests per
    /// tenant: the first page for the total, the last page to check the slugs).
    /// - Throws: ``Failure`` naming the tenant when a size cannot be learned.
    public func tenantsWithCatalogueSizes() async throws -> [LoadTenant] {
        var tenants: [LoadTenant] = []
        for var tenant in configuration.tenants {
            do {
                let first = try await listing(tenant, path: "/api/products?page=1&perPage=1")
                var last = first
                if first.total > 1 { last = try await listing(tenant, path: CatalogueListing.lastPagePath(total: first.total)) }
                tenant.products = try CatalogueListing.size(total: first.total, lastPage: last)
            } catch let failure as Failure {
                throw Failure("tenant \(tenant.id) (\(tenant.domain)) \(failure.description); pass --products")
            }
            tenants.append(tenant)
        }
        return tenants
    }

    private func listing(_ tenant: LoadTenant, path: String) async throws -> CatalogueListing {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "host", value: tenant.domain)
        head.headers.add(name: "user-agent", value: "storefront-load")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(head, to: configuration.endpoint(for: tenant), on: loop, deadline: .now() + .seconds(10)).get()
        } catch {
            throw Failure("could not be asked for its catalogue at \(configuration.edge) (\(error))")
        }
        guard response.head.status == .ok else {
            throw Failure("answered \(path) with status \(response.head.status.code)")
        }
        do {
            return try CatalogueListing.parse(Data(response.body.readableBytesView))
        } catch {
            throw Failure("answered \(path) with JSON the tool cannot read (\(error))")
        }
    }
}
