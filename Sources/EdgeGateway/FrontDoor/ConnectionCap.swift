import NIOCore
import Synchronization

/// Caps the open connections of the public listeners, overall and per client address (the TCP peer), so
/// one client cannot take every socket. Counted at accept, released when the connection closes: a lock
/// per connection, never per request.
final class ConnectionCap: Sendable {
    private struct State {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    private let maximum: Int
    private let maximumPerAddress: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - maximum: open connections overall; 0 means no cap.
    ///   - maximumPerAddress: open connections from one address; 0 means no cap.
    init(maximum: Int, maximumPerAddress: Int) {
        self.maximum = maximum
        self.maximumPerAddress = maximumPerAddress
    }

    /// Counts a new connection from `address` unless a cap is reached.
    /// - Returns: whether it is admitted; an admitted connection must be ``release(_:)``d once.
    func admit(_ address: String) -> Bool {
        state.withLock { state in
            if maximum > 0, state.total >= maximum { return false }
            let fromAddress = state.perAddress[address, default: 0]
            if maximumPerAddress > 0, fromAddress >= maximumPerAddress { return false }
            state.total += 1
            state.perAddress[address] = fromAddress + 1
            return true
        }
    }

    /// An admitted connection from `address` closed.
    func release(_ address: String) {
        state.withLock { state in
            state.total -= 1
            let left = state.perAddress[address, default: 1] - 1
            state.perAddress[address] = left > 0 ? left : nil
        }
    }

    /// Open connections counted now.
    var open: Int { state.withLock { $0.total } }

    /// Counts `channel` (just accepted) and releases it when it closes.
    /// - Returns: whether it is admitted.
    func admit(channel: Channel) -> Bool {
        let address = channel.remoteAddress?.ipAddress ?? ""
        guard admit(address) else { return false }
        channel.closeFuture.whenComplete { _ in self.release(address) }
        return true
    }
}

/// Answers a plain HTTP connection over the cap `503` with `Connection: close`, at once, and closes it.
final class ConnectionRefusal: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let answer =
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 22\r\nretry-after: 1\r\nconnection: close\r\n\r\ntoo many connections\r\n"

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context: context)
    }

    private func answer(context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let buffer = context.channel.allocator.buffer(string: Self.answer)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
