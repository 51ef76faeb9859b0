import NIOCore
import NIOHTTP1
import UpstreamHTTP

/// Reads the edge's and the origins' `/metrics` (plain HTTP on their admin listeners).
struct MetricsScraper: Sendable {
    let edgeAdmin: HTTPEndpoint?
    let originAdmins: [HTTPEndpoint]
    let client: HTTP1Client
    let loop: any EventLoop

    /// Whether there is anything to read.
    var isConfigured: Bool { edgeAdmin != nil || !originAdmins.isEmpty }

    /// Every configured text now; `nil` for a listener that did not answer 200 within five seconds.
    func scrape() async -> ServerMetrics {
        var origins: [String?] = []
        for admin in originAdmins { origins.append(await text(admin)) }
        var edge: String?
        if let edgeAdmin { edge = await text(edgeAdmin) }
        return ServerMetrics(edge: edge, origins: origins)
    }

    private func text(_ endpoint: HTTPEndpoint) async -> String? {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/metrics")
        head.headers.add(name: "host", value: endpoint.host)
        guard let response = try? await client.execute(head, to: endpoint, on: loop, deadline: .now() + .seconds(5)).get(),
            response.head.status == .ok
        else { return nil }
        return String(buffer: response.body)
    }
}
