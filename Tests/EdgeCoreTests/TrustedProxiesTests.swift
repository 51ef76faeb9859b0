import EdgeCore
import Testing

@Suite struct TrustedProxiesTests {
    static let proxies = TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.1, 2001:db8::/32")!

    @Test func rangesMatchByPrefix() {
        #expect(Self.proxies.trusts("10.255.0.3"))
        #expect(!Self.proxies.trusts("11.0.0.1"))
        #expect(Self.proxies.trusts("192.168.1.1"))
        #expect(!Self.proxies.trusts("192.168.1.2"))
        #expect(Self.proxies.trusts("2001:db8:ffff::1"))
        #expect(!Self.proxies.trusts("2001:db9::1"))
        #expect(!Self.proxies.trusts("not an address"))
        #expect(TrustedProxies(parsing: "10.0.0.0/33") == nil)
        #expect(TrustedProxies(parsing: "example.com/8") == nil)
        #expect(TrustedProxies(parsing: "")?.ranges.isEmpty == true)
    }

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() {
        #expect(Self.proxies.clientAddress(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
    }

    @Test func behindTrustedProxiesTheRightMostUntrustedAddressIsTheClient() {
        // The client wrote "1.2.3.4" itself; the proxies appended what they saw.
        let chain = ["1.2.3.4, 198.51.100.7", "10.1.1.1"]
        #expect(Self.proxies.clientAddress(peer: "10.0.0.5", forwardedFor: chain) == "198.51.100.7")
        #expect(Self.proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["10.1.1.1, 10.2.2.2"]) == "10.1.1.1", "all trusted: the left-most")
        #expect(Self.proxies.clientAddress(peer: "10.0.0.5", forwardedFor: []) == "10.0.0.5")
        #expect(Self.proxies.clientAddress(peer: "10.0.0.5", forwardedFor: ["garbage, 10.1.1.1"]) == "10.1.1.1", "stops at a malformed entry")
    }
}
