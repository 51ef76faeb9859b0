import HTTPTypes
import Testing

@testable import Origin

/// The `sf_wal` cookie and the WAL positions it carries: exact formats in, malformed values ignored.
@Suite struct WALPositionCookieTests {
    @Test func pgLSNTextRoundTrips() {
        let position = WALPosition(pgLSN: "16/B374D848")
        #expect(position?.offset == 0x16_B374_D848)
        #expect(position?.pgLSN == "16/B374D848")
        #expect(position?.hexDigits == "00000016B374D848")
        #expect(WALPosition(hexDigits: "00000016B374D848") == position)
    }

    @Test(arguments: ["", "16", "16/", "/B374D848", "16/B374D848/0", "1G/0", "+1/0", "123456789/0", "0/123456789", " 1/0"])
    func malformedPGLSNIsRefused(text: String) {
        #expect(WALPosition(pgLSN: text) == nil)
    }

    @Test(arguments: ["", "0000016B374D848", "000000016B374D848", "00000016B374D84G", "-0000016B374D848", "0x000016B374D848"])
    func malformedHexDigitsAreRefused(text: String) {
        #expect(WALPosition(hexDigits: text) == nil)
    }

    @Test func positionIsReadFromAnyCookieField() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .cookie, value: "consent=yes; sf_wal=0000000000000010"))
        fields.append(HTTPField(name: .cookie, value: "cart=3;sf_wal=0000000000000020; theme=dark"))
        #expect(WALPositionCookie.position(in: fields) == WALPosition(offset: 0x20), "the newest of several wins")
    }

    @Test(arguments: ["sf_wal=", "sf_wal=zz", "sf_wal=16/B374D848", "xsf_wal=0000000000000010", "sf_wal =0000000000000010", "sf_wal"])
    func malformedCookieIsIgnored(cookie: String) {
        let fields: HTTPFields = [.cookie: "a=b; \(cookie)"]
        #expect(WALPositionCookie.position(in: fields) == nil)
    }

    @Test func setAndClearAttributes() {
        let position = WALPosition(offset: 0x16_B374_D848)
        #expect(
            WALPositionCookie.setting(position, maxAge: .seconds(10), secure: false)
                == "sf_wal=00000016B374D848; Max-Age=10; Path=/; HttpOnly; SameSite=Lax"
        )
        #expect(
            WALPositionCookie.setting(position, maxAge: .seconds(10), secure: true)
                == "sf_wal=00000016B374D848; Max-Age=10; Path=/; HttpOnly; SameSite=Lax; Secure"
        )
        #expect(WALPositionCookie.clearing(secure: false) == "sf_wal=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    }
}
