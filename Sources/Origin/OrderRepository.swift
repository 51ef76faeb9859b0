import Foundation
import Hummingbird
import PostgresNIO
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

/// Orders of one tenant: placed in one transaction, idempotent by key.
public struct OrderRepository: Sendable {
    let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    /// The result of placing an order.
    public enum Placement: Sendable, Equatable {
        /// A new order.
        case created(Order)
        /// The same request with the same idempotency key was placed before: that order.
        case replayed(Order)
    }

    /// Places an order: validates products, prices them, writes order and lines in one transaction.
    /// - Throws: `HTTPError` 422 for unknown products or mixed currencies, 409 for a reused idempotency key
    ///   with a different request. Nothing is written when it throws.
    public func place(_ tenant: TenantID, request: OrderRequest, idempotencyKey: String?) async throws -> Placement {
        do {
            return try await placeOnce(tenant, request: request, idempotencyKey: idempotencyKey)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" && idempotencyKey != nil {
            // A concurrent request with the same key won the insert: answer as its replay.
            return try await placeOnce(tenant, request: request, idempotencyKey: idempotencyKey)
        }
    }

    private func placeOnce(_ tenant: TenantID, request: OrderRequest, idempotencyKey: String?) async throws -> Placement {
        try await database.write(tenant) { connection in
            if let idempotencyKey, let existing = try await Self.existing(connection, key: idempotencyKey) {
                guard existing.fingerprint == request.fingerprint else {
                    throw HTTPError(.conflict, message: "idempotency key already used for a different order")
                }
                return .replayed(try await Self.load(connection, id: existing.id))
            }
            var priced: [(id: Int64, slug: String, quantity: Int, price: Int64, currency: String)] = []
            for line in request.lines {
                let rows = try await connection.query(
                    """
                    SELECT id, price_cents, currency FROM products
                    WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(line.slug)
                    """
                )
                var found: (Int64, Int64, String)?
                for try await row in rows.decode((Int64, Int64, String).self) { found = row }
                guard let found else { throw HTTPError(.unprocessableContent, message: "unknown product '\(line.slug)'") }
                priced.append((found.0, line.slug, line.quantity, found.1, found.2))
            }
            let currencies = Set(priced.map(\.currency))
            guard currencies.count == 1, let currency = currencies.first else {
                throw HTTPError(.unprocessableContent, message: "all products of an order must share one currency")
            }
            let total = priced.reduce(Int64(0)) { $0 + $1.price * Int64($1.quantity) }
            var orderID: Int64?
            for try await id in try await connection.query(
                """
                INSERT INTO orders (tenant_id, idempotency_key, request_hash, total_cents, currency)
                VALUES (\(connection.tenant.rawValue), \(idempotencyKey), \(request.fingerprint), \(total), \(currency))
                RETURNING id
                """
            ).decode(Int64.self) {
                orderID = id
            }
            guard let orderID else { throw HTTPError(.internalServerError, message: "order not created") }
            for (index, line) in priced.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, quantity, unit_price_cents)
                    VALUES (\(connection.tenant.rawValue), \(orderID), \(index + 1), \(line.id), \(line.quantity), \(line.price))
                    """
                )
            }
            return .created(try await Self.load(connection, id: orderID))
        }
    }

    /// Reads an order (from the primary, inside the caller's transaction).
    private static func load(_ connection: TenantConnection, id: Int64) async throws -> Order {
        var order: Order?
        for try await row in try await connection.query(
            "SELECT status, total_cents, currency FROM orders WHERE tenant_id = \(connection.tenant.rawValue) AND id = \(id)"
        ).decode((String, Int64, String).self) {
            order = Order(id: id, status: row.0, totalCents: row.1, currency: row.2, lines: [])
        }
        guard var order else { throw HTTPError(.notFound, message: "no such order") }
        for try await row in try await connection.query(
            """
            SELECT l.product_id, p.slug, l.quantity, l.unit_price_cents
            FROM order_lines AS l JOIN products AS p ON p.tenant_id = l.tenant_id AND p.id = l.product_id
            WHERE l.tenant_id = \(connection.tenant.rawValue) AND l.order_id = \(id) ORDER BY l.line_no
            """
        ).decode((Int64, String, Int, Int64).self) {
            order.lines.append(Order.Line(productId: row.0, slug: row.1, quantity: row.2, unitPriceCents: row.3))
        }
        return order
    }

    private static func existing(_ connection: TenantConnection, key: String) async throws -> (id: Int64, fingerprint: String)? {
        for try await row in try await connection.query(
            """
            SELECT id, coalesce(request_hash, '') FROM orders
            WHERE tenant_id = \(connection.tenant.rawValue) AND idempotency_key = \(key)
            """
        ).decode((Int64, String).self) {
            return row
        }
        return nil
    }
}
