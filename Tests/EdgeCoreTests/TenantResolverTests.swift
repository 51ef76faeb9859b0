import EdgeCore
import Shared
import Testing

@Suite struct TenantResolverTests {
    let alpine = TenantID("alpine")!
    let harbor = TenantID("harbor")!
    var resolver: TenantResolver {
        TenantResolver(
            snapshot: TenantDirectorySnapshot([
                TenantDirectoryEntry(domain: HostName(normalising: "alpine.test")!, tenantID: alpine),
                TenantDirectoryEntry(domain: HostName(normalising: "harbor.test")!, tenantID: harbor),
            ])
        )
    }

    @Test func sameTenantResolves() {
        #expect(
            resolver.resolve(connectionTenant: alpine, hostValues: ["WWW.Alpine.Test:8443"])
                == .tenant(alpine, host: HostName(normalising: "alpine.test")!)
        )
    }

    /// A Host of another tenant on a connection whose SNI named this one: 421, never the other's content.
    @Test func sniHostMismatchIsMisdirected() {
        #expect(resolver.resolve(connectionTenant: alpine, hostValues: ["harbor.test"]) == .misdirected)
    }

    /// An unknown host is refused, never served as some default tenant.
    @Test func unknownHostIsMisdirected() {
        #expect(resolver.resolve(connectionTenant: alpine, hostValues: ["unknown.test"]) == .misdirected)
        #expect(resolver.resolve(connectionTenant: nil, hostValues: ["unknown.test"]) == .misdirected)
    }

    @Test func missingDuplicateOrMalformedHostIsBadRequest() {
        #expect(resolver.resolve(connectionTenant: alpine, hostValues: []) == .badRequest(reason: "missing Host header"))
        #expect(
            resolver.resolve(connectionTenant: alpine, hostValues: ["alpine.test", "alpine.test"])
                == .badRequest(reason: "more than one Host header")
        )
        #expect(resolver.resolve(connectionTenant: alpine, hostValues: ["alpine.test/x"]) == .badRequest(reason: "malformed Host header"))
    }
}
