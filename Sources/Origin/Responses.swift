import Foundation
import HTTPTypes
import Hummingbird
import Shared

/// Response helpers shared by the routes.
enum Responses {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// A cacheable response with a strong ETag, answered 304 when `If-None-Match` matches.
    static func conditional(
        request: Request,
        body: ByteBuffer,
        contentType: String,
        cacheControl: String,
        tags: [SurrogateKey]
    ) -> Response {
        let etag = EntityTag.strong(for: body.readableBytesView)
        var headers: HTTPFields = [
            .cacheControl: cacheControl,
            .eTag: etag,
            .surrogateKey: tags.map(\.rawValue).joined(separator: " "),
        ]
        if let ifNoneMatch = request.headers[.ifNoneMatch], HTTPComparisons.ifNoneMatch([ifNoneMatch], matches: etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// A cacheable JSON response.
    static func json(request: Request, _ value: some Encodable, cacheControl: String, tags: [SurrogateKey]) throws -> Response {
        conditional(
            request: request,
            body: ByteBuffer(data: try encoder.encode(value)),
            contentType: "application/json",
            cacheControl: cacheControl,
            tags: tags
        )
    }

    /// An uncacheable JSON response.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(data: try encoder.encode(value)))
        )
    }

    /// Whether `slug` is a plausible product slug (what the schema accepts).
    static func isSlug(_ slug: String) -> Bool {
        (1...128).contains(slug.utf8.count)
            && slug.utf8.allSatisfy { $0 == 45 || (48...57).contains($0) || (97...122).contains($0) }
    }
}
