import EdgeCore
import Testing

@Suite struct RequestHygieneUnitTests {
    @Test func originFormPassesUnchanged() {
        #expect(RequestHygiene.check(target: "/a?b=1", isHTTP10: false, transferEncoding: [], host: "shop.test") == .success("/a?b=1"))
    }

    @Test(arguments: [["chunked"], [" Chunked "]])
    func loneChunkedIsAccepted(_ values: [String]) {
        #expect(RequestHygiene.check(target: "/", isHTTP10: false, transferEncoding: values, host: "shop.test") == .success("/"))
    }

    @Test(arguments: [["gzip, chunked"], ["chunked", "chunked"], ["identity"], ["chunked, identity"], ["xchunked"], [""]])
    func otherTransferCodingsAreRefused(_ values: [String]) {
        #expect(RequestHygiene.check(target: "/", isHTTP10: false, transferEncoding: values, host: "shop.test") == .failure(.transferCoding))
    }

    @Test func transferEncodingOnHTTP10IsRefused() {
        #expect(RequestHygiene.check(target: "/", isHTTP10: true, transferEncoding: ["chunked"], host: "shop.test") == .failure(.transferCoding))
    }

    @Test func absoluteFormIsRewrittenOrRefused() {
        #expect(
            RequestHygiene.check(target: "https://WWW.Shop.test:443/p?x=1", isHTTP10: false, transferEncoding: [], host: "shop.test")
                == .success("/p?x=1")
        )
        #expect(RequestHygiene.check(target: "http://shop.test", isHTTP10: false, transferEncoding: [], host: "shop.test") == .success("/"))
        #expect(RequestHygiene.check(target: "http://shop.test?q", isHTTP10: false, transferEncoding: [], host: "shop.test") == .success("/?q"))
        #expect(
            RequestHygiene.check(target: "https://evil.test/p", isHTTP10: false, transferEncoding: [], host: "shop.test")
                == .failure(.authorityMismatch)
        )
        #expect(
            RequestHygiene.check(target: "https://shop.test@evil.test/p", isHTTP10: false, transferEncoding: [], host: "shop.test")
                == .failure(.target)
        )
        #expect(RequestHygiene.check(target: "shop.test:443", isHTTP10: false, transferEncoding: [], host: "shop.test") == .failure(.target))
        #expect(RequestHygiene.check(target: "*", isHTTP10: false, transferEncoding: [], host: "shop.test") == .failure(.target))
        #expect(RequestHygiene.check(target: "https://shop.test/p", isHTTP10: false, transferEncoding: [], host: nil) == .failure(.target))
    }
}
