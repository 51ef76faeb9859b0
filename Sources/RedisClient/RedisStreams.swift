import NIOCore

/// One entry of a Redis stream: its id (`<ms>-<seq>`) and its field/value pairs.
public struct RedisStreamEntry: Sendable, Equatable {
    public var id: String
    public var fields: [String: [UInt8]]

    /// - Parameters:
    ///   - id: the entry id, e.g. `1796190297303-0`.
    ///   - fields: its fields and values.
    public init(id: String, fields: [String: [UInt8]]) {
        self.id = id
        self.fields = fields
    }
}

/// What `XINFO STREAM` says about a stream (Redis 7 or later for ``maxDeletedEntryID``).
public struct RedisStreamInfo: Sendable, Equatable {
    /// Entries in the stream now.
    public var length: Int64
    /// The id of the last entry ever added (even if since trimmed).
    public var lastGeneratedID: String
    /// The highest id ever removed (trimmed or deleted); `0-0` if none. `nil` before Redis 7.
    public var maxDeletedEntryID: String?
}

extension RESPValue {
    /// The entries of an `XREAD` reply (every stream of it, in order); empty for the null reply of a `BLOCK`
    /// that timed out. `nil` if the reply does not have that shape.
    public var streamEntries: [RedisStreamEntry]? {
        switch self {
        case .array(nil), .bulkString(nil): return []
        case .array(let streams?):
            var entries: [RedisStreamEntry] = []
            for stream in streams {
                guard case .array(let parts?) = stream, parts.count == 2, case .array(let items?) = parts[1] else { return nil }
                for item in items {
                    guard let entry = Self.streamEntry(item) else { return nil }
                    entries.append(entry)
                }
            }
            return entries
        default: return nil
        }
    }

    /// The reply of `XINFO STREAM` as ``RedisStreamInfo``; `nil` if it does not have that shape.
    public var streamInfo: RedisStreamInfo? {
        guard case .array(let parts?) = self, parts.count.isMultiple(of: 2) else { return nil }
        var length: Int64?
        var lastGenerated: String?
        var maxDeleted: String?
        for index in stride(from: 0, to: parts.count, by: 2) {
            switch parts[index].string {
            case "length": if case .integer(let value) = parts[index + 1] { length = value }
            case "last-generated-id": lastGenerated = parts[index + 1].string
            case "max-deleted-entry-id": maxDeleted = parts[index + 1].string
            default: continue
            }
        }
        guard let length, let lastGenerated else { return nil }
        return RedisStreamInfo(length: length, lastGeneratedID: lastGenerated, maxDeletedEntryID: maxDeleted)
    }

    private static func streamEntry(_ value: RESPValue) -> RedisStreamEntry? {
        guard case .array(let pair?) = value, pair.count == 2, let id = pair[0].string else { return nil }
        var fields: [String: [UInt8]] = [:]
        if case .array(let flat?) = pair[1] {
            for index in stride(from: 0, to: flat.count - 1, by: 2) {
                guard let name = flat[index].string, case .bulkString(let bytes?) = flat[index + 1] else { continue }
                fields[name] = bytes
            }
        }
        return RedisStreamEntry(id: id, fields: fields)
    }
}

extension RedisConnection {
    /// Sends one command like ``send(_:timeout:)``, but cancelling the calling task closes the connection,
    /// which fails the command at once: for a blocking command (`XREAD BLOCK`) that must never hold up a
    /// shutdown. Use it on a connection of its own; other commands waiting on it fail too.
    /// - Parameters:
    ///   - arguments: the command and its arguments.
    ///   - timeout: how long to wait for the reply (longer than any `BLOCK` in the command).
    @discardableResult
    public func sendClosingOnCancel(_ arguments: [[UInt8]], timeout: TimeAmount) async throws -> RESPValue {
        try await withTaskCancellationHandler {
            try await send(arguments, timeout: timeout)
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
