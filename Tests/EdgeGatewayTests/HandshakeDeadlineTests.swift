import EdgeCore
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Shared
import TestSupport
import Testing

@testable import EdgeGateway

/// An HTTPS connection that never reaches HTTP (no ClientHello, an unfinished handshake) is closed in time,
/// and does not hold a drain until its timeout.
@Suite struct HandshakeDeadlineTests {
    private func connection(timeout: TimeAmount = .seconds(10), whileDraining: TimeAmount = .seconds(2)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(QuiesceFlag())
        try channel.pipeline.syncOperations.addHandler(HandshakeDeadline(timeout: timeout, timeoutWhileDraining: whileDraining))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        return channel
    }

    /// A connection that sends nothing closes at the handshake timeout, not before.
    @Test func silentConnectionClosesAtTheTimeout() throws {
        let channel = try connection()
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    /// A connection that reached HTTP is no longer bound by the deadline.
    @Test func reachingHTTPLiftsTheDeadline() throws {
        let channel = try connection()
        HandshakeDeadline.reachedHTTP(on: channel.pipeline)
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        #expect((try? channel.pipeline.syncOperations.handler(type: HandshakeDeadline.self)) == nil)
        _ = try channel.finish()
    }

    /// A drain leaves a connection short of HTTP only the draining timeout.
    @Test func drainShortensTheDeadline() throws {
        let channel = try connection()
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    /// A drain never lengthens a deadline that is already closer.
    @Test func drainKeepsACloserDeadline() throws {
        let channel = try connection(timeout: .seconds(3), whileDraining: .seconds(2))
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    /// The edge: a TCP connection that never starts TLS no longer holds the drain until its timeout; a
    /// request in flight still completes.
    @Test func silentConnectionDoesNotHoldTheDrain() async throws {
        let gate = FakeOrigin.Gate()
        let origin = try await FakeOrigin.start { head in
            FakeOrigin.Reply(headers: [("cache-control", "no-store")], body: "page \(head.uri)", gate: head.uri == "/slow" ? gate : nil)
        }
        defer { Task { await origin.stop() } }
        try await EdgeFixture.with(origins: [origin]) { edge in
            let silent = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: edge.ports.https).get()
            defer { silent.close(promise: nil) }
            let inFlight = Task { try await edge.get("/slow") }
            try await waitUntil("the origin to receive /slow") { origin.requests.contains { $0.uri == "/slow" } }
            // The drain takes at least as long as /slow is held; the silent connection must not add its timeout.
            async let drained = edge.server.drain(timeout: .seconds(30))
            try await Task.sleep(for: .milliseconds(200))
            gate.open()
            let answer = try await inFlight.value
            #expect(answer.head.status == .ok)
            #expect(answer.text == "page /slow")
            #expect(await drained, "every connection closed before the drain timeout")
            try await waitUntil("the edge to close the silent connection") { !silent.isActive }
        }
    }
}
