import EdgeCore
import Testing

@Suite struct ForwardingPolicyTests {
    /// Every override of host, scheme, method or URL named in issue 14 is removed by default.
    @Test func theKnownOverridesAreNotForwarded() {
        for name in [
            "x-host", "x-forwarded-server", "x-forwarded-scheme", "x-forwarded-ssl", "front-end-https", "x-http-method",
            "x-http-method-override", "x-method-override", "x-original-url", "x-rewrite-url", "x-original-host",
            "x-forwarded-prefix", "x-proxyuser-ip",
        ] {
            #expect(!ForwardingPolicy.forwards(name, allowList: []), "\(name)")
        }
        #expect(ForwardingPolicy.forwards("accept-language", allowList: []))
        #expect(ForwardingPolicy.forwards("cookie", allowList: []))
    }

    /// A tenant may let an override through, never a field the edge sets itself.
    @Test func theAllowListOpensOverridesButNeverEdgeOwnedFields() {
        #expect(ForwardingPolicy.forwards("x-forwarded-prefix", allowList: ["x-forwarded-prefix"]))
        for name in ForwardingPolicy.edgeOwned {
            #expect(!ForwardingPolicy.forwards(name, allowList: [name]), "\(name)")
        }
    }

    /// A request carrying an allow-listed override passes the cache; without one, or with a plain field
    /// on the list, it does not.
    @Test func anAllowListedOverrideInTheRequestPassesTheCache() {
        let present: Set<String> = ["x-forwarded-prefix", "accept"]
        #expect(ForwardingPolicy.passesCache(allowList: ["x-forwarded-prefix"], has: present.contains))
        #expect(!ForwardingPolicy.passesCache(allowList: ["x-original-url"], has: present.contains))
        #expect(!ForwardingPolicy.passesCache(allowList: [], has: present.contains))
        #expect(!ForwardingPolicy.passesCache(allowList: ["accept"], has: present.contains))
    }

    /// RFC 7239: IPv4 as is, IPv6 quoted in brackets, anything else `unknown`.
    @Test func forwardedValueQuotesIPv6AndNeverSplicesOtherText() {
        #expect(
            ForwardingPolicy.forwardedValue(clientAddress: "192.0.2.7", host: "shop.test", proto: "https")
                == "for=192.0.2.7;host=shop.test;proto=https"
        )
        #expect(
            ForwardingPolicy.forwardedValue(clientAddress: "2001:db8::1", host: "shop.test", proto: "https")
                == "for=\"[2001:db8::1]\";host=shop.test;proto=https"
        )
        #expect(
            ForwardingPolicy.forwardedValue(clientAddress: "unknown", host: "shop.test", proto: "https") == "for=unknown;host=shop.test;proto=https"
        )
        #expect(ForwardingPolicy.forwardedValue(clientAddress: "1.2.3.4;host=evil", host: "shop.test", proto: "https").hasPrefix("for=unknown;"))
    }
}
