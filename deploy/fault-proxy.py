#!/usr/bin/env python3
"""A misbehaving TCP proxy in front of one origin, for the fault suite (deploy/faults, scenario 7).

    deploy/fault-proxy.py --listen PORT --upstream HOST:PORT --mode slow|reset [--delay SECONDS]

slow:  every response is held back DELAY seconds (default 2) before its first byte is passed on.
reset: the first bytes of every response are passed on, then the client connection is reset (RST, not FIN):
       an origin that dies mid-response.
Requests go to the origin unchanged, so a reset order may well have been written. Standard library only.
"""
import argparse
import asyncio
import socket
import struct


async def pipe_requests(reader, writer, state):
    """Client to origin: copies bytes and notes that a response is now awaited."""
    try:
        while data := await reader.read(65536):
            state["awaiting"] = True
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def pipe_responses(reader, writer, state, mode, delay):
    """Origin to client: slows or breaks the first chunk of every response."""
    try:
        while data := await reader.read(65536):
            if state["awaiting"]:
                state["awaiting"] = False
                if mode == "slow":
                    await asyncio.sleep(delay)
                elif mode == "reset":
                    writer.write(data[: max(1, min(len(data) // 2, 64))])
                    await writer.drain()
                    reset(writer)
                    return
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


def reset(writer):
    """Closes with SO_LINGER 0, so the peer gets an RST."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="host:port of the origin")
    parser.add_argument("--mode", choices=["slow", "reset"], required=True)
    parser.add_argument("--delay", type=float, default=2.0)
    options = parser.parse_args()
    host, port = options.upstream.rsplit(":", 1)

    async def handle(client_reader, client_writer):
        try:
            origin_reader, origin_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            reset(client_writer)
            return
        state = {"awaiting": False}
        await asyncio.gather(
            pipe_requests(client_reader, origin_writer, state),
            pipe_responses(origin_reader, client_writer, state, options.mode, options.delay),
        )
        origin_writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", options.listen, reuse_address=True)
    print(f"fault-proxy {options.mode} on 127.0.0.1:{options.listen} -> {options.upstream}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
