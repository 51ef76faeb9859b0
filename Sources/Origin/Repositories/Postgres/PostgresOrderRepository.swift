import Foundation
import PostgresNIO
import Shared

/// ``OrderRepository`` on PostgreSQL: the whole placement is one transaction on the primary, so a rejected
/// order writes nothing; a concurrent retry with the same idempotency key gets the winner's order.
public struct PostgresOrderRepository: OrderRepository {
    let database: TenantDatabase

    public init(database: TenantDatabase) { self.database = database }

    /// A line priced from the catalogue.
    private struct PricedLine: Sendable {
        var productID: Int64
        var quantity: Int
        var price: Int64
        var currency: String
    }

    /// A row the placement expected was not there (the database changed under it).
    struct MissingRow: Error {}

    public func place(_ tenant: TenantID, request: OrderRequest, idempotencyKey: String?) async throws -> OrderPlacement {
        do {
            do {
                return try await placeOnce(tenant, request: request, idempotencyKey: idempotencyKey)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" && idempotencyKey != nil {
                // A concurrent request with the same key won the insert: answer as its replay.
                return try await placeOnce(tenant, request: request, idempotencyKey: idempotencyKey)
            }
        } catch let rejection as OrderRejection {
            return .rejected(rejection)
        }
    }

    /// One attempt; a rejection is thrown so that the transaction rolls back.
    private func placeOnce(_ tenant: TenantID, request: OrderRequest, idempotencyKey: String?) async throws -> OrderPlacement {
        try await database.write(tenant) { connection in
            if let idempotencyKey, let existing = try await Self.existing(connection, key: idempotencyKey) {
                guard existing.fingerprint == request.fingerprint else { throw OrderRejection.idempotencyKeyReused }
                return .replayed(try await Self.load(connection, id: existing.id))
            }
            var priced: [PricedLine] = []
            for line in request.lines {
                guard let found = try await Self.price(connection, slug: line.slug) else {
                    throw OrderRejection.unknownProduct(slug: line.slug)
                }
                priced.append(PricedLine(productID: found.id, quantity: line.quantity, price: found.price, currency: found.currency))
            }
            let currencies = Set(priced.map(\.currency))
            guard currencies.count == 1, let currency = currencies.first else { throw OrderRejection.mixedCurrencies }
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
            guard let orderID else { throw MissingRow() }
            for (index, line) in priced.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO order_lines (tenant_id, order_id, line_no, product_id, quantity, unit_price_cents)
                    VALUES (\(connection.tenant.rawValue), \(orderID), \(index + 1), \(line.productID), \(line.quantity), \(line.price))
                    """
                )
            }
            return .created(try await Self.load(connection, id: orderID))
        }
    }

    private static func price(_ connection: TenantConnection, slug: String) async throws -> (id: Int64, price: Int64, currency: String)? {
        let rows = try await connection.query(
            "SELECT id, price_cents, currency FROM products WHERE tenant_id = \(connection.tenant.rawValue) AND slug = \(slug)"
        )
        var found: (id: Int64, price: Int64, currency: String)?
        for try await row in rows.decode((Int64, Int64, String).self) { found = row }
        return found
    }

    /// Reads an order (from the primary, inside the caller's transaction).
    private static func load(_ connection: TenantConnection, id: Int64) async throws -> Order {
        var order: Order?
        for try await row in try await connection.query(
            "SELECT status, total_cents, currency FROM orders WHERE tenant_id = \(connection.tenant.rawValue) AND id = \(id)"
        ).decode((String, Int64, String).self) {
            order = Order(id: id, status: row.0, totalCents: row.1, currency: row.2, lines: [])
        }
        guard var order else { throw MissingRow() }
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
        var found: (id: Int64, fingerprint: String)?
        for try await row in try await connection.query(
            """
            SELECT id, coalesce(request_hash, '') FROM orders
            WHERE tenant_id = \(connection.tenant.rawValue) AND idempotency_key = \(key)
            """
        ).decode((Int64, String).self) {
            found = row
        }
        return found
    }
}
