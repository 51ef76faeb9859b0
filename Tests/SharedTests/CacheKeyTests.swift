import Shared
import Testing

@Suite struct CacheKeyTests {
    let alpine = TenantID("alpine")!
    let harbor = TenantID("harbor")!

    /// Keys are laid out as `tenant:<tenantId>:<resource>:<id>`.
    @Test func layout() {
        #expect(CacheKey(tenant: alpine, resource: "popular", id: "7d").rawValue == "tenant:alpine:popular:7d")
    }

    /// The same resource and id under two tenants are two different keys: the reference system's leak.
    @Test func otherTenantOtherKey() {
        let a = CacheKey(tenant: alpine, resource: "popular", id: "all")
        let b = CacheKey(tenant: harbor, resource: "popular", id: "all")
        #expect(a != b)
        #expect(a.hashValue != b.hashValue || a.rawValue != b.rawValue)
        #expect(Set([a, b]).count == 2)
    }

    /// An id crafted to look like another tenant's namespace stays inside its own tenant.
    @Test func idCannotEscapeNamespace() {
        let crafted = CacheKey(tenant: alpine, resource: "page", id: "x:tenant:harbor:page:x")
        #expect(crafted.tenant == alpine)
        #expect(crafted.rawValue.hasPrefix("tenant:alpine:"))
        #expect(crafted != CacheKey(tenant: harbor, resource: "page", id: "x"))
    }
}

@Suite struct SurrogateKeyTests {
    let alpine = TenantID("alpine")!

    /// Tags name the tenant, and a product's tag lives under its tenant's tag.
    @Test func tagsAreTenantScoped() {
        #expect(SurrogateKey.tenant(alpine).rawValue == "tenant:alpine")
        #expect(SurrogateKey.product(alpine, 42).rawValue == "tenant:alpine:product:42")
    }

    /// Parsing a header keeps only the tags of the tenant the response was produced for.
    @Test func parseDropsForeignTags() {
        let tags = SurrogateKey.parse("tenant:alpine tenant:alpine:product:1 tenant:harbor tenant:alpinex:product:2", for: alpine)
        #expect(tags.map(\.rawValue) == ["tenant:alpine", "tenant:alpine:product:1"])
    }
}
