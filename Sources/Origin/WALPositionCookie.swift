import HTTPTypes

/// The `sf_wal` cookie: the WAL position of the shopper's last write, carried by the client so that whichever
/// origin serves their next request reads from the replica only once the replica has replayed that far.
///
/// Set on responses to requests that wrote (`Max-Age` a few seconds: long enough for any replica the origins
/// still read from to catch up), cleared once a request carrying it found the replica past it. A value that
/// is not exactly 16 hexadecimal digits is ignored, never an error.
enum WALPositionCookie {
    static let name = "sf_wal"

    /// The newest well-formed position in the request's `Cookie` fields, if any.
    /// - Parameter fields: the request's header fields (HTTP/2 may split cookies over several fields).
    static func position(in fields: HTTPFields) -> WALPosition? {
        var newest: WALPosition?
        for field in fields[values: .cookie] {
            for pair in field.split(separator: ";") {
                let trimmed = pair.drop(while: { $0 == " " || $0 == "\t" })
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                guard let position = WALPosition(hexDigits: trimmed[trimmed.index(after: equals)...]) else { continue }
                newest = max(newest ?? position, position)
            }
        }
        return newest
    }

    /// The `Set-Cookie` value that hands `position` to the client.
    /// - Parameters:
    ///   - position: the primary's position after the request's writes.
    ///   - maxAge: how long the client keeps it.
    ///   - secure: whether the client reached the edge over HTTPS (then the cookie is `Secure`).
    static func setting(_ position: WALPosition, maxAge: Duration, secure: Bool) -> String {
        attributes("\(name)=\(position.hexDigits)", maxAge: max(1, maxAge.components.seconds), secure: secure)
    }

    /// The `Set-Cookie` value that removes the cookie (the replica has replayed past it).
    /// - Parameter secure: whether the client reached the edge over HTTPS.
    static func clearing(secure: Bool) -> String {
        attributes("\(name)=", maxAge: 0, secure: secure)
    }

    private static func attributes(_ pair: String, maxAge: Int64, secure: Bool) -> String {
        "\(pair); Max-Age=\(maxAge); Path=/; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }
}
