import Foundation
import Shared

/// `POST /api/orders` body: `{"lines": [{"slug": "…", "quantity": 1}]}`.
public struct OrderRequest: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public var slug: String
        public var quantity: Int

        public init(slug: String, quantity: Int) {
            self.slug = slug
            self.quantity = quantity
        }

        public init(from decoder: any Decoder) throws {
            try StrictJSON.rejectUnknownKeys(decoder, allowed: ["slug", "quantity"])
            let container = try decoder.container(keyedBy: CodingKeys.self)
            slug = try container.decode(String.self, forKey: .slug)
            quantity = try container.decode(Int.self, forKey: .quantity)
        }
    }

    public var lines: [Line]

    public init(lines: [Line]) { self.lines = lines }

    public init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownKeys(decoder, allowed: ["lines"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lines = try container.decode([Line].self, forKey: .lines)
    }

    /// The first problem with the request, or `nil` when it is valid.
    func validationError() -> String? {
        guard (1...50).contains(lines.count) else { return "an order has 1 to 50 lines" }
        for (index, line) in lines.enumerated() {
            guard (1...100).contains(line.quantity) else { return "lines.\(index).quantity must be 1 to 100" }
            guard !line.slug.isEmpty, line.slug.utf8.count <= 128 else { return "lines.\(index).slug is invalid" }
        }
        guard Set(lines.map(\.slug)).count == lines.count else { return "each product appears once" }
        return nil
    }

    /// A digest of the request, to tell an idempotent replay from a reused key.
    var fingerprint: String {
        let canonical = lines.map { "\($0.slug)x\($0.quantity)" }.joined(separator: ",")
        return EntityTag.strong(for: canonical.utf8)
    }
}

/// A placed order.
public struct Order: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public var productId: Int64
        public var slug: String
        public var quantity: Int
        public var unitPriceCents: Int64
    }

    public var id: Int64
    public var status: String
    public var totalCents: Int64
    public var currency: String
    public var lines: [Line]
}
