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

    /// One pooled connection: absent, being opened (callers share the attempt), or open.
    private enum Slot {
        case empty
        case connecting(Task<RedisConnection, any Error>)
        case ready(RedisConnection)
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let slots: NIOLockedValueBox<(next: Int, slots: [Slot])>

    public init(configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
        self.slots = NIOLockedValueBox((0, Array(repeating: .empty, count: max(1, configuration.connections))))
    }

    /// Sends one command on a pooled connection and returns its reply.
    /// - Parameter arguments: the command and its arguments.
    @discardableResult
    public func send(_ arguments: [[UInt8]]) async throws -> RESPValue {
        try await connection().send(arguments, timeout: configuration.commandTimeout)
    }

    private func connection() async throws -> RedisConnection {
        let configuration = self.configuration
        let group = self.group
        let (index, attempt) = slots.withLockedValue { state -> (Int, Task<RedisConnection, any Error>) in
            let index = state.next % state.slots.count
            state.next &+= 1
            switch state.slots[index] {
            case .ready(let connection) where connection.isActive:
                return (index, Task { connection })
            case .connecting(let task):
                return (index, task)
            case .empty, .ready:
                let task = Task {
                    try await RedisConnection.connect(
                        host: configuration.host,
                        port: configuration.port,
                        connectTimeout: configuration.connectTimeout,
                        group: group
                    )
                }
                state.slots[index] = .connecting(task)
                return (index, task)
            }
        }
        do {
            let connection = try await attempt.value
            slots.withLockedValue { state in
                if case .connecting = state.slots[index] { state.slots[index] = .ready(connection) }
            }
            return connection
        } catch {
            slots.withLockedValue { state in
                if case .connecting = state.slots[index] { state.slots[index] = .empty }
            }
            throw error
        }
    }

    /// Sends one command given as strings.
    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue {
        try await send(arguments.map { Array($0.utf8) })
    }

    /// Closes every connection.
    public func shutdown() async {
        let slots = self.slots.withLockedValue { state in
            defer { state.slots = Array(repeating: .empty, count: state.slots.count) }
            return state.slots
        }
        for slot in slots {
            switch slot {
            case .ready(let connection): await connection.close()
            case .connecting(let task): await (try? task.value)?.close()
            case .empty: break
            }
        }
    }
}
