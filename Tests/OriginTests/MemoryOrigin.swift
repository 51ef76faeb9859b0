import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Shared
import Synchronization
import Testing

@testable import Origin

/// The origin's routes on memory repositories, driven through the router with no socket, no PostgreSQL and
/// no Redis. Tenants are added through the repositories, as onboarding would.
struct MemoryOrigin: Sendable {
    static let adminToken = "test-admin-token"
    static let internalToken = "test-internal-token"

    let database = MemoryDatabase()
    let events = RecordingEventPublisher()
    let cache = MemoryOriginCache()
    let configuration: OriginConfiguration = {
        var configuration = OriginConfiguration()
        configuration.adminToken = MemoryOrigin.adminToken
        configuration.internalToken = MemoryOrigin.internalToken
        configuration.storefrontCacheTTL = .zero
        return configuration
    }()

    var repositories: OriginRepositories { .memory(database) }

    /// Adds a tenant named `name` with products `product-1`…`product-<products>` titled "<name> item <i>".
    @discardableResult
    func addTenant(_ name: String, products: Int = 3, currency: String = "EUR") async throws -> Storefront {
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        let tenant = TenantID("t-\(suffix)")!
        let storefront = Storefront(domain: HostName(normalising: "\(tenant.rawValue).test")!, tenantID: tenant, theme: Theme(name: name))
        let created = try await repositories.admin.createTenant(name: name, storefront: storefront)
        try #require(created == .created)
        try await TenantScope.withTenant(tenant) {
            for index in stride(from: 1, through: products, by: 1) {
                let draft = ProductDraft(
                    slug: "product-\(index)",
                    title: "\(name) item \(index)",
                    priceCents: Int64(index) * 1000,
                    currency: currency
                )
                _ = try await repositories.products.create(tenant, draft)
            }
        }
        return storefront
    }

    /// The `Host` that stands for the internal listener's port in these socketless tests: requests for it go
    /// to the internal router (platform routes, tenant list), every other request to the storefront router.
    static let internalHost = "origin.internal"

    /// Runs `body` with a client of the origin's two routers (see ``internalHost``).
    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        var logger = Logger(label: "origin-tests")
        logger.logLevel = .critical
        let services = OriginServices(
            configuration: configuration,
            repositories: repositories,
            cache: cache,
            events: events,
            logger: logger
        )
        let storefront = HostAsAuthority(base: OriginApplication.buildRouter(services).buildResponder())
        let internalListener = HostAsAuthority(base: OriginApplication.buildInternalRouter(services, metrics: nil).buildResponder())
        let responder = CallbackResponder<OriginRequestContext> { request, context in
            request.headers[.hostHeader] == Self.internalHost
                ? try await internalListener.respond(to: request, context: context)
                : try await storefront.respond(to: request, context: context)
        }
        let app = Application(responder: responder, logger: logger)
        return try await app.test(.router, body)
    }
}

/// Turns a request's `Host` header into its authority, as the HTTP/1.1 server does (the router test client
/// always sends the authority `localhost`).
struct HostAsAuthority<Base: HTTPResponder>: HTTPResponder {
    let base: Base

    func respond(to request: Request, context: Base.Context) async throws -> Response {
        guard let host = request.headers[.hostHeader] else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.authority = host
        head.headerFields[.hostHeader] = nil
        return try await base.respond(to: Request(head: head, body: request.body), context: context)
    }
}

extension TestClientProtocol {
    /// Sends a request for `host`; a `body` goes as `application/json` unless `headers` name another type.
    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        host: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> TestResponse {
        var fields: HTTPFields = [.hostHeader: host]
        if body != nil { fields[.contentType] = "application/json" }
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        return try await execute(uri: path, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }
}

extension HTTPField.Name {
    static let hostHeader = HTTPField.Name("Host")!
}

/// Records published events, for tests to read.
final class RecordingEventPublisher: EventPublisher {
    private let recorded = Mutex<(purges: [PurgeEvent], tenants: [HostName])>(([], []))

    var purges: [PurgeEvent] { recorded.withLock { $0.purges } }
    var tenantChanges: [HostName] { recorded.withLock { $0.tenants } }

    func tenantsChanged(domain: HostName) async { recorded.withLock { $0.tenants.append(domain) } }
    func purge(_ event: PurgeEvent) async { recorded.withLock { $0.purges.append(event) } }
}

/// ``OriginCache`` in a dictionary (lifetimes ignored: a test never outlives them).
final class MemoryOriginCache: OriginCache {
    private let entries = Mutex<[CacheKey: [UInt8]]>([:])

    var keys: [CacheKey] { entries.withLock { Array($0.keys) } }

    func get(_ key: CacheKey) async -> [UInt8]? { entries.withLock { $0[key] } }
    func set(_ key: CacheKey, _ value: [UInt8], ttl: Duration) async { entries.withLock { $0[key] = value } }
    func delete(_ key: CacheKey) async { entries.withLock { _ = $0.removeValue(forKey: key) } }
}
