import EdgeCore
import Testing

/// The origin's platform routes are refused however the path is spelled; tenant routes are not.
@Suite struct PlatformPathsTests {
    @Test(arguments: [
        "/internal/tenants", "/internal", "/internal/", "/admin/tenants", "/admin/tenants/alpine/init", "/admin/tenants?x=1",
        "/%69nternal/tenants", "/%2569nternal/tenants", "//internal/tenants", "/./internal/tenants", "/INTERNAL/tenants",
        "/Admin/Tenants", "/admin//tenants", "/admin/%74enants", "/x/../internal/tenants", "/%2e/internal", "/internal;v=1/tenants",
        "\\internal/tenants", "/admin\\tenants", "/admin/./tenants/",
    ])
    func refused(_ target: String) {
        #expect(PlatformPaths.refuses(target))
    }

    @Test(arguments: [
        "/", "/products/boots", "/admin/products", "/admin/products/boots", "/admin", "/api/orders", "/internals", "/internal-notes",
        "/admin/tenantsx", "/products?next=/internal/tenants", "/products#/internal", "/shop/internal/tenants", "/internal/../products",
    ])
    func allowed(_ target: String) {
        #expect(!PlatformPaths.refuses(target))
    }
}
