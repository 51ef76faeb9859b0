import Shared
import Testing

@Suite struct HostNameTests {
    @Test(arguments: [
        ("shop.test", "shop.test"),
        ("SHOP.Test", "shop.test"),
        ("www.shop.test", "shop.test"),
        ("WWW.Shop.Test.:8443", "shop.test"),
        ("shop.test.", "shop.test"),
        ("shop.test:443", "shop.test"),
        (" shop.test ", "shop.test"),
        ("www2.shop.test", "www2.shop.test"),
        ("www.www.shop.test", "www.shop.test"),
    ])
    /// Host header and SNI spellings of one storefront normalise to the same name.
    func normalises(raw: String, expected: String) {
        #expect(HostName(normalising: raw)?.rawValue == expected)
    }

    @Test(arguments: [
        "", ":8443", "shop..test", ".shop.test", "shop.test:", "shop.test:99999x", "shop_test.com", "shop.test/evil",
        "[::1]:443", "shop test", "shöp.test", "shop.test:8443:1", String(repeating: "a", count: 64) + ".test",
    ])
    /// Anything that is not a plausible DNS name is rejected instead of reaching a lookup or a key.
    func rejects(raw: String) {
        #expect(HostName(normalising: raw) == nil)
    }
}

@Suite struct TenantIDTests {
    @Test(arguments: ["alpine", "t-1", "a", "0abc", String(repeating: "x", count: 63)])
    func acceptsSlugs(raw: String) {
        #expect(TenantID(raw)?.rawValue == raw)
    }

    @Test(arguments: ["", "-a", "a-", "A", "a:b", "a b", "a_b", String(repeating: "x", count: 64), "tenant:x"])
    /// Characters that could break out of a cache-key namespace (`:`) are never part of a tenant id.
    func rejectsNonSlugs(raw: String) {
        #expect(TenantID(raw) == nil)
    }
}
