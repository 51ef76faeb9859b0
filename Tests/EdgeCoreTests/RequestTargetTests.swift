import EdgeCore
import Testing

@Suite struct RequestTargetTests {
    @Test(arguments: [
        ("/p", "/p"),
        ("/p?", "/p"),
        ("/p#frag", "/p"),
        ("/p?b=2&a=1", "/p?a=1&b=2"),
        ("/p?utm_source=x&a=1&utm_medium=y", "/p?a=1"),
        ("/p?gclid=abc&fbclid=def", "/p"),
        ("/p?a=2&b=1&a=1", "/p?a=2&a=1&b=1"),
        ("/p?size=M&&color=red", "/p?color=red&size=M"),
        ("/p?utmost=1", "/p?utmost=1"),
        ("/p?q=a%26b&page=2", "/p?page=2&q=a%26b"),
    ])
    /// Spellings that cannot change the response share one key; the rest keep theirs.
    func normalises(raw: String, expected: String) {
        #expect(RequestTarget(raw).normalized == expected)
    }

    /// The tracking list is configurable per deployment.
    @Test func customTrackingParameters() {
        #expect(RequestTarget("/p?ref=mail&a=1", trackingParameters: ["ref"]).normalized == "/p?a=1")
        #expect(RequestTarget("/p?utm_source=x", trackingParameters: []).normalized == "/p?utm_source=x")
    }
}
