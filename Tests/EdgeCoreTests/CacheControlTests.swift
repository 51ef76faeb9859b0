import EdgeCore
import Testing

@Suite struct CacheControlTests {
    @Test func parsesCommonDirectives() {
        let cc = CacheControl(fieldValues: ["public, max-age=30, s-maxage=300"])
        #expect(cc.isPublic)
        #expect(cc.maxAge == 30)
        #expect(cc.sharedMaxAge == 300)
        #expect(!cc.noStore && !cc.isPrivate && !cc.noCache)
    }

    /// Names are case-insensitive, fields merge, quoted values are unquoted.
    @Test func mergesFieldsAndUnquotes() {
        let cc = CacheControl(fieldValues: ["Max-Age=\"60\"", "NO-STORE", "private=\"set-cookie\""])
        #expect(cc.maxAge == 60)
        #expect(cc.noStore)
        #expect(cc.isPrivate)
    }

    /// A duplicated delta-seconds directive keeps the most conservative (smallest) value.
    @Test func duplicatedDirectiveKeepsSmallest() {
        #expect(CacheControl(fieldValues: ["max-age=60, max-age=10"]).maxAge == 10)
        #expect(CacheControl(fieldValues: ["s-maxage=5", "s-maxage=50"]).sharedMaxAge == 5)
    }

    @Test(arguments: ["max-age=abc", "max-age=-1", "max-age=", "max-age", "max-age=1.5"])
    /// A malformed value makes the response stale at once rather than fresh for a guessed time.
    func malformedMaxAgeIsZero(value: String) {
        #expect(CacheControl(fieldValues: [value]).maxAge == 0)
    }

    /// Huge values are capped at 2^31 seconds instead of overflowing.
    @Test func hugeValueIsCapped() {
        #expect(CacheControl(fieldValues: ["max-age=99999999999999999999999"]).maxAge == 2_147_483_648)
    }

    /// Unknown directives, stray commas and extensions with values leave the rest intact.
    @Test func unknownDirectivesIgnored() {
        let cc = CacheControl(fieldValues: [",, foo=\"a,b\", immutable , s-maxage=7,"])
        #expect(cc.sharedMaxAge == 7)
        #expect(!cc.noStore)
    }
}
