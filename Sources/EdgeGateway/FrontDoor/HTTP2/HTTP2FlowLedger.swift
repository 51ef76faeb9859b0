/// What the edge may still send on an HTTP/2 connection, by RFC 9113 §6.9's flow control, and since when a
/// client has let a response wait on it: a value, fed with the frames as they pass, asked with a time.
///
/// A client that announces tiny windows (or stops sending WINDOW_UPDATE) and opens many streams makes the
/// edge hold every response it cannot send (CVE-2019-9517-style resource holding). A stream whose window is
/// used up (≤ 0) while its response is still open, with no WINDOW_UPDATE for ``stallLimit`` nanoseconds, is
/// stalled; so is the connection whose own window is used up that long while a response is open. The edge
/// then ends the connection (GOAWAY `ENHANCE_YOUR_CALM`). A client reading slowly but steadily keeps sending
/// WINDOW_UPDATEs and is never stalled.
struct HTTP2FlowLedger {
    /// RFC 9113 §6.9.2: the window every stream and the connection start with.
    static let defaultWindow = 65_535

    private struct Stream {
        var window: Int
        /// Since when the window has been used up (`nil` while it has room).
        var exhaustedSince: UInt64?
        /// The edge has written the response's last frame; it is still owed while the window is below zero
        /// (the HTTP/2 handler holds what does not fit).
        var ended = false
    }

    let stallLimit: UInt64
    private(set) var initialWindow = Self.defaultWindow
    private(set) var connectionWindow = Self.defaultWindow
    private var connectionExhaustedSince: UInt64?
    /// Streams whose response has begun (HEADERS sent) and not been sent whole.
    private var streams: [Int: Stream] = [:]

    init(stallLimit: UInt64) {
        self.stallLimit = stallLimit
    }

    /// Responses begun and not yet sent whole.
    var openResponses: Int { streams.count }

    /// Whether any window is used up (the only time ``stalled(at:)`` can be true: check it then).
    var anyExhausted: Bool { connectionExhaustedSince != nil || streams.values.contains { $0.exhaustedSince != nil } }

    /// The client's SETTINGS_INITIAL_WINDOW_SIZE: every open stream's window moves by the change (§6.9.2).
    mutating func clientInitialWindow(_ size: Int, now: UInt64) {
        let delta = size - initialWindow
        initialWindow = size
        for id in Array(streams.keys) { adjust(stream: id, by: delta, now: now) }
    }

    /// A WINDOW_UPDATE from the client (stream 0: the connection).
    mutating func windowUpdate(stream id: Int, increment: Int, now: UInt64) {
        if id == 0 {
            connectionWindow += increment
            connectionExhaustedSince = connectionWindow > 0 ? nil : now
        } else {
            adjust(stream: id, by: increment, now: now)
            removeIfSent(id)
        }
    }

    /// A HEADERS frame the edge sent: a response begins (unless it also ends the stream).
    mutating func headersSent(stream id: Int, endStream: Bool, now: UInt64) {
        if endStream {
            streams[id] = nil
        } else if streams[id] == nil {
            streams[id] = Stream(window: initialWindow, exhaustedSince: initialWindow > 0 ? nil : now)
        }
    }

    /// A DATA frame the edge sent (`length`: its flow-controlled length, padding included).
    mutating func dataSent(stream id: Int, length: Int, endStream: Bool, now: UInt64) {
        connectionWindow -= length
        if connectionWindow <= 0, connectionExhaustedSince == nil { connectionExhaustedSince = now }
        adjust(stream: id, by: -length, now: now)
        if endStream { streams[id]?.ended = true }
        removeIfSent(id)
    }

    /// The stream closed (reset, or both sides ended).
    mutating func streamClosed(_ id: Int) {
        streams[id] = nil
    }

    /// Whether the client has let a response wait on a used-up window for ``stallLimit``.
    func stalled(at now: UInt64) -> Bool {
        guard !streams.isEmpty else { return false }
        if let since = connectionExhaustedSince, now &- since >= stallLimit { return true }
        return streams.values.contains { stream in stream.exhaustedSince.map { now &- $0 >= stallLimit } ?? false }
    }

    /// A stream whose last frame was written and fits its window is done with.
    private mutating func removeIfSent(_ id: Int) {
        if let stream = streams[id], stream.ended, stream.window >= 0 { streams[id] = nil }
    }

    private mutating func adjust(stream id: Int, by delta: Int, now: UInt64) {
        guard var stream = streams[id] else { return }
        stream.window += delta
        if stream.window > 0 {
            stream.exhaustedSince = nil
        } else if delta > 0 || stream.exhaustedSince == nil {
            // Used up now, or still used up after an update that did not free it: the wait starts again
            // only when the client gave something back.
            stream.exhaustedSince = now
        }
        streams[id] = stream
    }
}
