import Foundation
import Hummingbird

/// Decoding of request bodies that refuses what it does not understand: unknown fields, wrong types,
/// bodies over a size limit. Errors become 4xx responses with a short message.
enum StrictJSON {
    /// A coding key for reading every key an object has.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws if the object being decoded has a key outside `allowed`.
    static func rejectUnknownKeys(_ decoder: any Decoder, allowed: Set<String>) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.first(where: { !allowed.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: container.codingPath, debugDescription: "unknown field '\(unknown.stringValue)'")
            )
        }
    }

    /// Reads and decodes a request body of at most `limit` bytes.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") ?? false else {
            throw HTTPError(.unsupportedMediaType, message: "send application/json")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch {
            throw HTTPError(.contentTooLarge, message: "body larger than \(limit) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: "invalid JSON: \(describe(error))")
        } catch {
            throw HTTPError(.badRequest, message: "invalid JSON")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let joined = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "" : " at \(joined)"
        }
        switch error {
        case .dataCorrupted(let context): return context.debugDescription + path(context)
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'" + path(context)
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type" + path(context)
        @unknown default: return "malformed"
        }
    }
}
