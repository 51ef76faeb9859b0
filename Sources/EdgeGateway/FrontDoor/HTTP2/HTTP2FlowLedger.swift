/// What the edge may still send on an HTTP/2 connection, by RFC 9113 §6.9's flow control, and since when a
/// client has let a response wait on it: a value, fed with the frames as they pass, asked with a time.
///
/// A client that announces tiny windows (or stops sending WINDOW_UPDATE) and opens many streams makes the
/// edge hold every response it cannot send (CVE-2019-9517-style resource holding). A stream whose window is
/// used up (≤ 0) while its response is still owed, with no WINDOW_UPDATE for ``stallLimit`` nanoseconds, is
/// stalled; so is the connection whose own window is used up that long while bytes are owed on it. The edge
/// then ends the connection (GOAWAY `ENHANCE_YOUR_CALM`). A client reading slowly but steadily keeps sending
/// WINDOW_UPDATEs and is never stalled.
///
/// Cheap on the hit path: a response sent whole within its window (one DATA frame that ends the stream, the
/// usual hit) is never recorded, and the time is read only when a window runs out (`now` is evaluated only
/// then).
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
    /// Streams with a response under way that did not fit, or may not fit, its window at once.
    private var streams: [Int: Stream] = [:]

    init(stallLimit: UInt64) {
        self.stallLimit = stallLimit
    }

    /// Responses recorded as under way (not sent whole).
    var openResponses: Int { streams.count }

    /// Whether any window is used up (the only time ``stalled(at:)`` can be true: check it then).
    var anyExhausted: Bool { connectionExhaustedSince != nil || streams.values.contains { $0.exhaustedSince != nil } }

    /// The client's SETTINGS_INITIAL_WINDOW_SIZE: every recorded stream's window moves by the change (§6.9.2).
    mutating func clientInitialWindow(_ size: Int, now: @autoclosure () -> UInt64) {
        let delta = size - initialWindow
        initialWindow = size
        for id in Array(streams.keys) { adjust(stream: id, by: delta, now: now()) }
    }

    /// A WINDOW_UPDATE from the client (stream 0: the connection). An update for a stream not recorded
    /// changes nothing: its response is sent whole or not begun.
    mutating func windowUpdate(stream id: Int, increment: Int, now: @autoclosure () -> UInt64) {
        if id == 0 {
            connectionWindow += increment
            connectionExhaustedSince = connectionWindow > 0 ? nil : now()
        } else if streams[id] != nil {
            adjust(stream: id, by: increment, now: now())
            removeIfSent(id)
        }
    }

    /// A HEADERS frame the edge sent. Recorded only when the stream starts with no window at all.
    mutating func headersSent(stream id: Int, endStream: Bool, now: @autoclosure () -> UInt64) {
        if endStream {
            streams[id] = nil
        } else if initialWindow <= 0, streams[id] == nil {
            streams[id] = Stream(window: initialWindow, exhaustedSince: now())
        }
    }

    /// A DATA frame the edge sent (`length`: its flow-controlled length, padding included).
    mutating func dataSent(stream id: Int, length: Int, endStream: Bool, now: @autoclosure () -> UInt64) {
        connectionWindow -= length
        if connectionWindow <= 0, connectionExhaustedSince == nil { connectionExhaustedSince = now() }
        if streams[id] == nil {
            let window = initialWindow - length
            // Sent whole within its window: nothing to remember.
            if endStream, window >= 0 { return }
            streams[id] = Stream(window: window, exhaustedSince: window > 0 ? nil : now(), ended: endStream)
            return
        }
        adjust(stream: id, by: -length, now: now())
        if endStream { streams[id]?.ended = true }
        removeIfSent(id)
    }

    /// The stream closed (reset, or both sides ended).
    mutating func streamClosed(_ id: Int) {
        streams[id] = nil
    }

    /// Whether the client has let a response wait on a used-up window for ``stallLimit``.
    func stalled(at now: UInt64) -> Bool {
        if let since = connectionExhaustedSince, connectionWindow < 0 || !streams.isEmpty, now &- since >= stallLimit { return true }
        return streams.values.contains { stream in stream.exhaustedSince.map { now &- $0 >= stallLimit } ?? false }
    }

    /// A stream whose last frame was written and fits its window is done with.
    private mutating func removeIfSent(_ id: Int) {
        if let stream = streams[id], stream.ended, stream.window >= 0 { streams[id] = nil }
    }

    private mutating func adjust(stream id: Int, by delta: Int, now: @autoclosure () -> UInt64) {
        guard var stream = streams[id] else { return }
        stream.window += delta
        if stream.window > 0 {
            stream.exhaustedSince = nil
        } else if delta > 0 || stream.exhaustedSince == nil {
            // Used up now, or still used up after an update that did not free it: the wait starts again
            // only when the client gave something back.
            stream.exhaustedSince = now()
        }
        streams[id] = stream
    }
}
