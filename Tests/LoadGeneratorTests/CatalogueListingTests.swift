import Foundation
import Testing

@testable import LoadGenerator

@Suite struct CatalogueListingTests {
    /// The origin's `GET /api/products` body (sorted keys, ISO 8601 dates), as it sends it.
    static let firstPage = """
        {"page":1,"perPage":1,"products":[{"currency":"EUR","description":"A warm thing","id":41,\
        "priceCents":4999,"slug":"product-1","title":"Alpine item 1","updatedAt":"2026-12-01T10:00:00Z"}],"total":300}
        """

    static func page(_ slugs: [String], total: Int) -> CatalogueListing {
        CatalogueListing(products: slugs.map { CatalogueListing.Entry(slug: $0) }, total: total)
    }

    @Test func parsesTheOriginsJSON() throws {
        let listing = try CatalogueListing.parse(Data(Self.firstPage.utf8))
        #expect(listing.total == 300)
        #expect(listing.products.map(\.slug) == ["product-1"])
    }

    @Test func rejectsJSONWithoutATotal() {
        #expect(throws: (any Error).self) { try CatalogueListing.parse(Data(#"{"products":[]}"#.utf8)) }
    }

    /// The last product is on page ⌈total / 100⌉ of 100 per page.
    @Test func lastPagePath() {
        #expect(CatalogueListing.lastPagePath(total: 1) == "/api/products?page=1&perPage=100")
        #expect(CatalogueListing.lastPagePath(total: 100) == "/api/products?page=1&perPage=100")
        #expect(CatalogueListing.lastPagePath(total: 101) == "/api/products?page=2&perPage=100")
        #expect(CatalogueListing.lastPagePath(total: 20_000) == "/api/products?page=200&perPage=100")
    }

    /// The size is the total when the last product is `product-<total>`; a catalogue with other slugs, or
    /// none, cannot be sized this way.
    @Test func sizeFromTotalAndLastPage() throws {
        #expect(try CatalogueListing.size(total: 300, lastPage: Self.page(["product-299", "product-300"], total: 300)) == 300)
        #expect(throws: CatalogueProbe.Failure.self) {
            try CatalogueListing.size(total: 301, lastPage: Self.page(["product-300", "anvil"], total: 301))
        }
        #expect(throws: CatalogueProbe.Failure.self) { try CatalogueListing.size(total: 0, lastPage: Self.page([], total: 0)) }
    }
}
