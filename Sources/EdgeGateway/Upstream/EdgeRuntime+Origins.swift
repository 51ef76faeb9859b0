import EdgeCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

extension EdgeRuntime {
    /// Sends a request to the least loaded usable origin. An idempotent request that could not reach an
    /// origin (connect failure, or the connection closed before any response byte) is tried once more on
    /// another one. Connect failures, resets and timeouts count towards ejecting the origin; statuses only
    /// where the pool's policy says so.
    func sendToOrigin(
        _ head: HTTPRequestHead,
        body: ByteBuffer?,
        on loop: any EventLoop,
        deadline: NIODeadline,
        streamAbove: Int? = nil,
        tried: Set<HTTPEndpoint> = []
    ) -> EventLoopFuture<(HTTPClientResponse, HTTPEndpoint)> {
        guard let origin = pool.acquire(excluding: tried) else {
            return loop.makeFailedFuture(OriginPoolError.noUsableOrigin)
        }
        let idempotent = head.method == .GET || head.method == .HEAD || head.method == .OPTIONS
        return client.execute(head, body: body, to: origin, on: loop, deadline: deadline, streamAbove: streamAbove)
            .flatMapWithEventLoop { response, loop in
                let failed = self.pool.countsAsFailure(status: Int(response.head.status.code))
                self.pool.release(origin, outcome: failed ? .failure : .success)
                return loop.makeSucceededFuture((response, origin))
            }
            .flatMapErrorWithEventLoop { error, loop in
                self.pool.release(origin, outcome: .failure)
                let unreached = !(error is HTTPClientError) || (error as? HTTPClientError) == .connectionClosed(beforeResponse: true)
                guard idempotent, unreached, tried.count <= 1, NIODeadline.now() < deadline else { return loop.makeFailedFuture(error) }
                self.logger.info("origin unreachable; trying another", metadata: ["origin": "\(origin)", "error": "\(error)"])
                return self.sendToOrigin(head, body: body, on: loop, deadline: deadline, streamAbove: streamAbove, tried: tried.union([origin]))
            }
    }
}
