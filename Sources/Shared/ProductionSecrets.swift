/// Production mode's rule for secrets, shared by the `edge` and `origin` executables: each token must be
/// set, must not be one of the development defaults written in the code, and must be at least
/// ``minimumLength`` characters. A process in production mode refuses to start otherwise.
///
/// Production mode is on with `--production` or `STOREFRONT_ENV=production`.
public enum ProductionSecrets {
    /// The shortest secret production mode accepts.
    public static let minimumLength = 32

    /// The development defaults of the code (`edge` and `origin` options).
    public static let developmentDefaults: Set<String> = ["dev-internal-token", "dev-edge-admin-token", "dev-admin-token"]

    /// The environment variable that turns production mode on (value `production`).
    public static let environmentVariable = "STOREFRONT_ENV"

    /// Whether production mode is on: the flag, or `STOREFRONT_ENV=production`.
    public static func isProduction(flag: Bool, environment: [String: String]) -> Bool {
        flag || environment[environmentVariable]?.lowercased() == "production"
    }

    /// What is wrong with `secrets` for production, one line each naming the setting; empty when all pass.
    /// - Parameter secrets: each secret's setting (as the operator knows it, e.g. `--internal-token / INTERNAL_TOKEN`)
    ///   and its value (`nil` or empty: missing).
    public static func problems(_ secrets: [(setting: String, value: String?)]) -> [String] {
        secrets.compactMap { setting, value in
            guard let value, !value.isEmpty else { return "\(setting) is missing" }
            if developmentDefaults.contains(value) { return "\(setting) is the development default" }
            if value.count < minimumLength { return "\(setting) is shorter than \(minimumLength) characters" }
            return nil
        }
    }

    /// The message a process in production mode exits with, or `nil` when every secret passes.
    public static func refusal(_ secrets: [(setting: String, value: String?)]) -> String? {
        let problems = problems(secrets)
        guard !problems.isEmpty else { return nil }
        return "production mode refuses to start: " + problems.joined(separator: "; ")
    }
}
