import EdgeCore
import NIOCore
import NIOHTTP1
import Shared

/// Where the plain HTTP listener sends a storefront's request: the same URL over HTTPS, keeping the host
/// as the client wrote it (e.g. with `www.`) when it names the same storefront.
enum HTTPSRedirect {
    static func location(for request: HTTPRequestHead, host: HostName, httpsPort: Int) -> String {
        let port = httpsPort == 443 ? "" : ":\(httpsPort)"
        let target = request.uri.hasPrefix("/") ? request.uri : "/"
        let rawHost = request.headers.first(name: "host").map { String($0.prefix(while: { $0 != ":" })) }
        let shown = (rawHost?.lowercased()).flatMap { HostName(normalising: $0) == host ? $0 : nil } ?? host.rawValue
        return "https://\(shown)\(port)\(target)"
    }
}
