import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A small pool of pipelined Redis connections, reconnected on demand.
///
/// Each command goes to the next connection in turn; a closed connection is replaced on its next use.
/// Connect and reply timeouts are bounded, so a slow or absent Redis costs a caller at most
/// `connectTimeout + commandTimeout`, never a hang.
public final class RedisClient: Sendable {
    /// Where Redis is and how long to wait for it.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var connections = 4
        public var connectTimeout: TimeAmount = .milliseconds(500)
        public var commandTimeout: TimeAmount = .milliseconds(500)

        public init(host: String = "127.0.0.1", port: Int = 56379) {
            self.host = host
            self.port = port
        }
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let slots: NIOLockedValueBox<(next: Int, connections: [RedisConnection?])>

    public init(configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
        self.slots = NIOLockedValueBox((0, Array(repeating: nil, count: max(1, configuration.connections))))
    }

    /// Sends one command on a pooled connection and returns its reply.
    /// - Parameter arguments: the command and its arguments.
    @discardableResult
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        let (index, existing) = slots.withLockedValue { slots -> (Int, RedisConnection?) in
            let index = slots.next % slots.connections.count
            slots.next &+= 1
            return (index, slots.connections[index])
        }
        let connection: RedisConnection
        if let existing, existing.isActive {
            connection = existing
        } else {
            connection = try await RedisConnection.connect(
                host: configuration.host,
                port: configuration.port,
                connectTimeout: configuration.connectTimeout,
                group: group
            )
            let replaced = slots.withLockedValue { slots -> RedisConnection? in
                let old = slots.connections[index]
                slots.connections[index] = connection
                return old
            }
            if let replaced, replaced !== existing { await replaced.close() }
        }
        return try await connection.send(arguments, timeout: configuration.commandTimeout)
    }

    /// Sends one command given as strings.
    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue {
        try await send(arguments.map { Array($0.utf8) })
    }

    /// Closes every connection.
    public func shutdown() async {
        let connections = slots.withLockedValue { slots in
            defer { slots.connections = Array(repeating: nil, count: slots.connections.count) }
            return slots.connections
        }
        for connection in connections { await connection?.close() }
    }
}
