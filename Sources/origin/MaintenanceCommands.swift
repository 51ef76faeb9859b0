import ArgumentParser
import Origin
import Shared

/// `origin migrate`: ``OriginMaintenance/migrate(configuration:logger:)``.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations on the primary.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let applied = try await OriginMaintenance.migrate(configuration: database.configuration(), logger: makeLogger())
        print(applied.isEmpty ? "schema up to date" : "applied migrations \(applied)")
    }
}

/// `origin seed`: ``OriginMaintenance/seedDemo(configuration:products:orders:logger:seeded:)``.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the demo tenants with products and orders.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Products per tenant.") var products = 300
    @Option(help: "Orders per tenant.") var orders = 200

    func run() async throws {
        try await OriginMaintenance.seedDemo(
            configuration: database.configuration(),
            products: products,
            orders: orders,
            logger: makeLogger()
        ) { spec in print("seeded \(spec.id) on \(spec.domain)") }
    }
}

/// `origin add-tenant`: ``OriginMaintenance/addTenant(_:products:configuration:logger:)``.
struct AddTenant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-tenant",
        abstract: "Create a tenant and its storefront domain (idempotent)."
    )
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Tenant id: a-z, 0-9 and -.") var id: String
    @Option(help: "Storefront domain.") var domain: String
    @Option(help: "Display name.") var name: String
    @Option(help: "Products to create for a demo catalogue.") var products = 0

    func run() async throws {
        guard let tenant = TenantID(id) else { throw ValidationError("invalid tenant id '\(id)'") }
        guard let host = HostName(normalising: domain) else { throw ValidationError("invalid domain '\(domain)'") }
        let spec = Seeder.TenantSpec(id: tenant, name: name, domain: host, theme: Theme(name: name))
        try await OriginMaintenance.addTenant(spec, products: products, configuration: database.configuration(), logger: makeLogger())
        print("tenant \(tenant) serves \(host)")
    }
}
