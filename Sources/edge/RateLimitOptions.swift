import ArgumentParser
import EdgeCore
import EdgeGateway
import Shared

/// The edge's default request rate limits (a tenant's settings may override each) and the proxies whose
/// `X-Forwarded-For` names the client. A rate is `<n>/s`, `<n>/min` or `<n>/h` with an optional
/// `,burst=<n>`, or `off`. Listed in `docs/security.md`, "Rate limits".
struct RateLimitOptions: ParsableArguments {
    @Option(help: "Origin-bound requests per client address, or off (env EDGE_RATE_PER_CLIENT).")
    var ratePerClient = env("EDGE_RATE_PER_CLIENT", "50/s,burst=500")
    @Option(help: "Origin-bound requests per tenant at this edge, or off (env EDGE_RATE_PER_TENANT).")
    var ratePerTenant = env("EDGE_RATE_PER_TENANT", "off")
    @Flag(help: "Count cache hits towards the rate limits too (env EDGE_RATE_COUNT_HITS=1).")
    var rateCountHits = env("EDGE_RATE_COUNT_HITS", "0") == "1"
    @Option(help: "Failed logins (401/403 to requests with credentials) per client address, or off (env EDGE_FAILED_LOGINS).")
    var failedLogins = env("EDGE_FAILED_LOGINS", "1/min,burst=10")
    @Option(help: "Proxies (CIDR,...) whose X-Forwarded-For names the client; empty trusts none (env EDGE_TRUSTED_PROXIES).")
    var trustedProxies = env("EDGE_TRUSTED_PROXIES", "")
    @Option(
        help:
            "Secret in X-Storefront-Rate-Exempt that exempts a request from the rate limits (the fleet's own clients); empty: none (env EDGE_RATE_EXEMPT_TOKEN)."
    )
    var rateExemptToken = env("EDGE_RATE_EXEMPT_TOKEN", "")

    func validate() throws {
        for (flag, text) in [("--rate-per-client", ratePerClient), ("--rate-per-tenant", ratePerTenant), ("--failed-logins", failedLogins)] {
            guard text == "off" || RateLimit(parsing: text)?.isValid == true else {
                throw ValidationError("\(flag) '\(text)': expected <n>/s, <n>/min or <n>/h with an optional ,burst=<n>, or off")
            }
        }
        guard TrustedProxies(parsing: trustedProxies) != nil else {
            throw ValidationError("--trusted-proxies '\(trustedProxies)': expected address/prefix,...")
        }
    }

    /// Sets the rate limits and trusted proxies of `configuration`.
    func apply(to configuration: inout EdgeConfiguration) {
        func rate(_ text: String) -> RateLimit? { text == "off" ? nil : RateLimit(parsing: text) }
        configuration.rateLimits = RateLimitPolicy(
            perClient: rate(ratePerClient),
            perTenant: rate(ratePerTenant),
            countCacheHits: rateCountHits,
            failedLogins: rate(failedLogins)
        )
        configuration.trustedProxies = TrustedProxies(parsing: trustedProxies) ?? TrustedProxies()
        configuration.rateExemptToken = rateExemptToken.isEmpty ? nil : rateExemptToken
    }
}
