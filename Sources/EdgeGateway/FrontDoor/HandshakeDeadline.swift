import NIOCore

/// Bounds the time an HTTPS connection may take to reach HTTP: from accept through SNI, the TLS handshake
/// and ALPN. A connection still short of HTTP then is closed.
///
/// Until a connection has an HTTP handler nothing else watches it: the front door's timeouts
/// (``RequestGuard``) and the drain's quiesce event act only on HTTP. Without this, a client that opens a
/// TCP connection and sends nothing (a browser's preconnect, a load balancer's TCP check, a slowloris) keeps
/// it forever, and holds every graceful shutdown until the drain timeout. When a drain begins the
/// remaining time shrinks to ``FrontDoorLimits/handshakeTimeoutWhileDraining``: a client in the middle of
/// its handshake still gets through and has its request answered, an idle one is let go.
///
/// Runs on the event loop's time (an `EmbeddedEventLoop` moves it by hand in tests).
final class HandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private let timeoutWhileDraining: TimeAmount
    private var deadline: NIODeadline?
    private var timer: Scheduled<Void>?

    /// - Parameters:
    ///   - timeout: the time from accept to HTTP.
    ///   - timeoutWhileDraining: the most a connection short of HTTP has left once a drain began.
    init(timeout: TimeAmount, timeoutWhileDraining: TimeAmount) {
        self.timeout = timeout
        self.timeoutWhileDraining = timeoutWhileDraining
    }

    /// The connection reached HTTP (its protocol handlers are in place): the deadline no longer applies.
    /// - Parameter pipeline: the connection's pipeline.
    static func reachedHTTP(on pipeline: ChannelPipeline) {
        guard let handler = try? pipeline.syncOperations.handler(type: HandshakeDeadline.self) else { return }
        pipeline.syncOperations.removeHandler(handler, promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context: context, at: context.eventLoop.now + timeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            let draining = context.eventLoop.now + timeoutWhileDraining
            if let deadline, draining < deadline { arm(context: context, at: draining) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func arm(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer?.cancel()
        self.deadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            context.close(promise: nil)
        }
    }
}
