import Foundation
import HTTPTypes
import Hummingbird

extension DatabaseUnavailable: HTTPResponseError {
    public var status: HTTPResponse.Status { .serviceUnavailable }

    /// `503` with `Retry-After`, never stored, and the message as `{"error":{"message":…}}` (the shape of
    /// every other error of the origin).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(["error": ["message": message]])
        return Response(
            status: .serviceUnavailable,
            headers: [
                .contentType: "application/json",
                .cacheControl: "no-store",
                .retryAfter: "\(retryAfterSeconds)",
            ],
            body: .init(byteBuffer: ByteBuffer(data: body))
        )
    }
}
