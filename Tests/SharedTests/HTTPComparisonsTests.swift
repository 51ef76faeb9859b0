import Shared
import Testing

@Suite struct HTTPComparisonsTests {
    @Test(arguments: [
        (["\"v1\""], true),
        (["W/\"v1\""], true),
        (["\"v0\", \"v1\""], true),
        (["\"v0\"", " \"v1\" "], true),
        (["*"], true),
        (["\"v2\""], false),
        ([], false),
    ])
    /// Weak comparison of If-None-Match lists against the stored tag "v1".
    func ifNoneMatch(values: [String], expected: Bool) {
        #expect(HTTPComparisons.ifNoneMatch(values, matches: "\"v1\"") == expected)
    }

    @Test func constantTimeEquals() {
        #expect(HTTPComparisons.constantTimeEquals("secret", "secret"))
        #expect(!HTTPComparisons.constantTimeEquals("secret", "secreT"))
        #expect(!HTTPComparisons.constantTimeEquals("secret", "secret!"))
    }
}
