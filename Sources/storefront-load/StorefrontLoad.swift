import ArgumentParser

/// The load tool: the storefront workload (`run`, the default) and the fault suite's driver (`faults`).
@main
struct StorefrontLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storefront-load",
        abstract: "Load against the storefront edge: the storefront workload (run, the default) or the fault suite's driver (faults).",
        subcommands: [LoadCommand.self, FaultsCommand.self],
        defaultSubcommand: LoadCommand.self
    )
}
