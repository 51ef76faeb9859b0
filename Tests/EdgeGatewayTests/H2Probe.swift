import Foundation
import TestSupport

/// A frame-level HTTP/2 client for the edge's tests: a Python script on the `h2` package (strict about the
/// fields it receives, as browsers are) and raw frames for the floods and stream-state errors. Written to a
/// temporary file and run with `python3`; tests that need it are skipped when python3 or `h2` is missing.
enum H2Probe {
    /// Why the probe cannot run, or `nil` when python3 with `h2` is there.
    static let unavailable: String? = {
        guard let python = python3 else { return "python3 is not on the PATH" }
        guard let child = try? ChildProcess.start(python, ["-c", "import h2, hpack, hyperframe"], output: .discarded) else {
            return "python3 does not start"
        }
        while child.isRunning { usleep(10_000) }  // a static initialiser cannot await; the reaper is a thread
        return child.termination == .exited(0) ? nil : "python3 has no h2 package (pip install h2)"
    }()

    static let python3: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
        .split(separator: ":")
        .map { "\($0)/python3" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs one probe mode (see the script's usage) against the edge's HTTPS port as `serverName` (the
    /// alpine storefront unless named).
    static func run(_ mode: String, _ argument: String = "", edge: EdgeFixture, serverName: String? = nil) async throws -> [String: Any] {
        let path = NSTemporaryDirectory() + "h2probe-\(UUID().uuidString).py"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await ProcessRunner.run(
            python3 ?? "python3",
            [path, "127.0.0.1", String(edge.ports.https), serverName ?? edge.alpineDomain, edge.caPath, mode, argument]
        )
        guard output.status == 0,
            let report = try JSONSerialization.jsonObject(with: output.standardOutput) as? [String: Any]
        else {
            throw ProbeFailed(mode: mode, message: String(decoding: output.standardError, as: UTF8.self))
        }
        return report
    }

    struct ProbeFailed: Error, CustomStringConvertible {
        var mode: String
        var message: String
        var description: String { "h2probe \(mode) failed: \(message)" }
    }

    static let script = #"""
        """HTTP/2 frame-level probe for the edge's tests (python3 + h2). Prints one JSON object.

        Usage: h2probe.py HOST PORT SERVER_NAME CA_FILE MODE [ARG]
          get PATH[,PATH...]  requests on one connection with h2's strict validation of received fields
          rapid-reset N       N HEADERS each followed by RST_STREAM(CANCEL)      (CVE-2023-44487)
          continuation N      one HEADERS without END_HEADERS and N CONTINUATION (CVE-2024-27316)
          settings N | ping N N SETTINGS / PING frames
          idle-data           DATA on an idle stream (RFC 9113 5.1)
          even-stream         HEADERS on a server-initiated (even) stream id (5.1.1)
          lower-stream        HEADERS on stream 5, then on stream 3 (5.1.1)
          closed-data         DATA on a stream the server has closed (5.1)
          half-closed-data    DATA on a stream the client ended (half-closed remote, 5.1)
          big-headers SIZE    a request with SIZE bytes of header fields
          idle SECONDS        nothing after the settings: report whether and when the server ends it
          tiny-window N       SETTINGS_INITIAL_WINDOW_SIZE 1, N requests for /h2probe/big/<i>, no WINDOW_UPDATE
        Raw modes report the server's SETTINGS, GOAWAY (error code) and RST_STREAM frames, and whether it closed.
        """
        import json, select, socket, ssl, struct, sys, time

        import h2.config, h2.connection, h2.events, h2.exceptions
        import hpack
        from hyperframe.frame import ContinuationFrame, DataFrame, HeadersFrame, PingFrame, RstStreamFrame, SettingsFrame

        HOST, PORT, NAME, CA, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
        ARG = sys.argv[6] if len(sys.argv) > 6 else ""
        PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


        def tls():
            context = ssl.create_default_context(cafile=CA)
            context.set_alpn_protocols(["h2"])
            sock = context.wrap_socket(socket.create_connection((HOST, PORT), timeout=10), server_hostname=NAME)
            if sock.selected_alpn_protocol() != "h2":
                raise SystemExit("no h2 by ALPN")
            return sock


        def request(path, extra=()):
            return [(":method", "GET"), (":scheme", "https"), (":authority", NAME), (":path", path)] + list(extra)


        def get(paths):
            sock = tls()
            conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
            conn.initiate_connection()
            sock.sendall(conn.data_to_send())
            results = []
            for path in paths:
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, request(path), end_stream=True)
                sock.sendall(conn.data_to_send())
                result = {"path": path, "headers": [], "body": ""}
                results.append(result)
                done = False
                deadline = time.time() + 10
                while not done and time.time() < deadline:
                    data = sock.recv(65536)
                    if not data:
                        result["error"] = "closed"
                        break
                    try:
                        events = conn.receive_data(data)
                    except h2.exceptions.ProtocolError as error:
                        result["error"] = "protocol error: %s" % error
                        break
                    for event in events:
                        if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                            result["headers"] = [[n, v] for n, v in event.headers]
                            result["status"] = int(dict(event.headers)[":status"])
                        elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                            result["body"] += event.data.decode("utf-8", "replace")
                            conn.acknowledge_received_data(event.flow_controlled_length, stream)
                        elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)) and event.stream_id == stream:
                            done = True
                    out = conn.data_to_send()
                    if out:
                        sock.sendall(out)
                if "error" in result:
                    break
            return {"responses": results, "maxHeaderListSize": conn.remote_settings.max_header_list_size}


        def frame(kind, flags, stream, payload=b""):
            return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


        class Raw:
            """A client that writes frames as given and records what the server answers."""

            def __init__(self, settings=None):
                self.sock = tls()
                self.sock.setblocking(False)
                self.buffer = b""
                self.started = time.time()
                self.report = {"goaway": None, "rst": [], "closed": False, "settings": {}, "endStreams": [], "dataBytes": 0, "goawayAfter": None}
                self.encoder = hpack.Encoder()
                self.send(PREFACE + SettingsFrame(0, settings=settings or {}).serialize())
                self.read_until(lambda: self.report["settings"], 5)

            def send(self, data):
                view = memoryview(data)
                deadline = time.time() + 10
                while view and time.time() < deadline and not self.report["closed"]:
                    try:
                        sent = self.sock.send(view[:65536])
                        view = view[sent:]
                    except (ssl.SSLWantWriteError, BlockingIOError):
                        self.poll(0.05)
                    except (ssl.SSLWantReadError,):
                        self.poll(0.05)
                    except OSError:
                        self.report["closed"] = True
                    self.poll(0)

            def poll(self, timeout):
                readable, _, _ = select.select([self.sock], [], [], timeout)
                if not readable and self.sock.pending() == 0:
                    return
                while True:
                    try:
                        data = self.sock.recv(65536)
                    except (ssl.SSLWantReadError, BlockingIOError):
                        break
                    except OSError:
                        self.report["closed"] = True
                        break
                    if not data:
                        self.report["closed"] = True
                        break
                    self.buffer += data
                while len(self.buffer) >= 9:
                    length = int.from_bytes(self.buffer[:3], "big")
                    if len(self.buffer) < 9 + length:
                        break
                    kind, flags = self.buffer[3], self.buffer[4]
                    stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
                    payload = self.buffer[9 : 9 + length]
                    self.buffer = self.buffer[9 + length :]
                    if kind == 4 and not flags & 1:
                        for i in range(0, len(payload), 6):
                            key, value = struct.unpack(">HI", payload[i : i + 6])
                            self.report["settings"][str(key)] = value
                        try:
                            self.sock.send(frame(4, 1, 0))
                        except OSError:
                            pass
                    elif kind == 7 and self.report["goaway"] is None:
                        self.report["goaway"] = struct.unpack(">II", payload[:8])[1]
                        self.report["goawayAfter"] = round(time.time() - self.started, 2)
                    elif kind == 0:
                        self.report["dataBytes"] += length
                        if flags & 1:
                            self.report["endStreams"].append(stream)
                    elif kind == 3:
                        self.report["rst"].append([stream, struct.unpack(">I", payload[:4])[0]])
                    elif kind == 1 and flags & 1:
                        self.report["endStreams"].append(stream)

            def read_until(self, done, seconds):
                deadline = time.time() + seconds
                while time.time() < deadline and not self.report["closed"] and not done():
                    self.poll(0.05)

            def headers(self, stream, path="/h2probe", end_stream=True, end_headers=True, extra=()):
                block = self.encoder.encode(request(path, extra))
                flags = (0x1 if end_stream else 0) | (0x4 if end_headers else 0)
                return frame(1, flags, stream, block)

            def finish(self, seconds=5):
                self.read_until(lambda: self.report["goaway"] is not None, seconds)
                # After a GOAWAY the server closes; note it when that happens soon.
                self.read_until(lambda: False, 1 if self.report["goaway"] is not None else 0)
                return self.report


        def raw(mode, arg):
            if mode == "idle":
                client = Raw()
                client.read_until(lambda: client.report["goaway"] is not None, float(arg))
                return client.finish(1)
            if mode == "tiny-window":
                client = Raw(settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1})
                for i in range(int(arg)):
                    client.send(client.headers(1 + 2 * i, path="/h2probe/big/%d" % i))
                return client.finish(15)
            client = Raw()
            count = int(arg) if arg else 0
            if mode == "rapid-reset":
                batch = b""
                for i in range(count):
                    stream = 1 + 2 * i
                    batch += client.headers(stream, path="/h2probe/reset") + RstStreamFrame(stream, error_code=8).serialize()
                    if len(batch) > 16384:
                        client.send(batch)
                        batch = b""
                client.send(batch)
            elif mode == "continuation":
                client.send(client.headers(1, end_stream=True, end_headers=False))
                fragment = client.encoder.encode([("x-fill", "a")])
                batch = b""
                for i in range(count):
                    batch += frame(9, 0, 1, fragment)
                    if len(batch) > 16384:
                        client.send(batch)
                        batch = b""
                client.send(batch)
            elif mode == "settings":
                client.send(b"".join(SettingsFrame(0).serialize() for _ in range(count)))
            elif mode == "ping":
                client.send(b"".join(PingFrame(0, opaque_data=b"12345678").serialize() for _ in range(count)))
            elif mode == "idle-data":
                client.send(frame(0, 1, 1, b"x"))
            elif mode == "even-stream":
                client.send(client.headers(2))
            elif mode == "lower-stream":
                client.send(client.headers(5))
                client.send(client.headers(3))
            elif mode == "closed-data":
                client.send(client.headers(1))
                client.read_until(lambda: 1 in client.report["endStreams"], 5)
                client.send(frame(0, 1, 1, b"x"))
            elif mode == "half-closed-data":
                client.send(client.headers(1, path="/h2probe/slow") + frame(0, 1, 1, b"x"))
            elif mode == "big-headers":
                size = int(arg)
                extra = [("x-big-%d" % i, "b" * 4000) for i in range(max(1, size // 4000))]
                block = client.encoder.encode(request("/h2probe", extra))
                first, rest = block[:16384], block[16384:]
                data = frame(1, 0x1 | (0 if rest else 0x4), 1, first)
                while rest:
                    part, rest = rest[:16384], rest[16384:]
                    data += frame(9, 0 if rest else 0x4, 1, part)
                client.send(data)
            else:
                raise SystemExit("unknown mode " + mode)
            return client.finish()


        if MODE == "get":
            print(json.dumps(get(ARG.split(","))))
        else:
            print(json.dumps(raw(MODE, ARG)))
        """#
}
