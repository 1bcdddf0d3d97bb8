"""A MongooseIM-shaped REST server for the benchmarks, run in its own process.

``python -m benchmarks.server [--port N]`` prints ``PORT <n>`` once listening and exits when
its standard input closes (so it never outlives the benchmark that started it). It is a raw
``asyncio.Protocol`` that answers from precomputed bytes, so that on a two-core machine the
*client* under test, not this server, is what the figures measure.

Endpoints (base ``/api``, HTTP Basic ``bench:secret`` required, as a real listener would):

* ``POST /messages`` -> ``204`` (the body is read, not checked).
* ``GET /messages/page{K}@bench.lit[/{with}]`` -> a fixed page of ``K`` records, K in 1, 50, 500.
* ``GET /messages/archive{N}@bench.lit[/{with}]?before=&limit=`` -> the synthetic archive of
  ``N`` messages (see :mod:`benchmarks.data`), with the real ``before``/``limit`` semantics;
  ``limit`` defaults to 100 and is capped at 500 (``max_result_limit = 500``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import sys
from urllib.parse import unquote

from .data import archive_page, fixed_page

__all__ = ["AUTH", "FIXED_SIZES", "BenchApp", "main", "serve"]

AUTH = ("bench", "secret")
FIXED_SIZES = (1, 50, 500)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500

_TOKEN = b"Basic " + base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode())
_ARCHIVE = re.compile(r"archive(\d+)@bench\.lit")
_HEAD = (
    "HTTP/1.1 {status}\r\nserver: Cowboy\r\ndate: Mon, 13 Nov 2023 09:00:00 GMT\r\n"
    "vary: accept-encoding\r\n"
)


def _response(status: str, body: bytes = b"", content_type: str | None = None) -> bytes:
    head = _HEAD.format(status=status)
    if content_type:
        head += f"content-type: {content_type}\r\n"
    if not status.startswith("204"):
        head += f"content-length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


_NO_CONTENT = _response("204 No Content")
_UNAUTHORIZED = (
    _response("401 Unauthorized", b"")[:-2] + b'www-authenticate: Basic realm="mongooseim"\r\n\r\n'
)
_NOT_FOUND = _response("404 Not Found", b'"Not found"')


def _bad_request(text: str) -> bytes:
    return _response("400 Bad Request", f'"{text}"'.encode())


class BenchApp:
    """Request routing and answers; pure (bytes in, bytes out), so tests can call it."""

    def __init__(self) -> None:
        self.fixed = {
            f"page{k}@bench.lit": _response("200 OK", fixed_page(k), "application/json")
            for k in FIXED_SIZES
        }
        self.requests = 0

    def respond(self, method: bytes, target: bytes, authorization: bytes | None) -> bytes:
        self.requests += 1
        if authorization != _TOKEN:
            return _UNAUTHORIZED
        path, _, query = target.decode("latin-1").partition("?")
        segments = path.split("/")
        # ["", "api", "messages", owner, (with)]
        if len(segments) < 3 or segments[1] != "api" or segments[2] != "messages":
            return _NOT_FOUND
        if method == b"POST":
            return _NO_CONTENT if len(segments) == 3 else _NOT_FOUND
        if method != b"GET" or len(segments) not in (4, 5):
            return _NOT_FOUND
        owner = unquote(segments[3])
        fixed = self.fixed.get(owner)
        if fixed is not None:
            return fixed
        match = _ARCHIVE.fullmatch(owner)
        if match is None:
            return _bad_request("User does not exist")
        before: int | None = None
        limit = DEFAULT_LIMIT
        for pair in query.split("&") if query else ():
            key, _, value = pair.partition("=")
            try:
                number = int(value)
            except ValueError:
                number = -1
            if key == "limit":
                if number < 0:
                    return _bad_request("Invalid limit")
                limit = min(number, MAX_LIMIT)
            elif key == "before":
                if number < 0:
                    return _bad_request("Invalid value of 'before'")
                before = number
        body = archive_page(int(match.group(1)), before, limit)
        return _response("200 OK", body, "application/json")


class _HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and Content-Length bodies: all the clients here send."""

    def __init__(self, app: BenchApp) -> None:
        self.app = app
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        out = []
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            lower = head.lower()
            length = 0
            i = lower.find(b"\r\ncontent-length:")
            if i >= 0:
                j = lower.find(b"\r\n", i + 2)
                length = int(head[i + 17 : j if j >= 0 else None])
            total = end + 4 + length
            if len(buffer) < total:
                break
            authorization = None
            i = lower.find(b"\r\nauthorization:")
            if i >= 0:
                j = lower.find(b"\r\n", i + 2)
                authorization = head[i + 16 : j if j >= 0 else None].strip()
            method, target, _ = head.split(b" ", 2)
            out.append(self.app.respond(method, target, authorization))
            buffer = buffer[total:]
        self.buffer = buffer
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


async def serve(port: int = 0, host: str = "127.0.0.1") -> None:
    """Listen, print ``PORT <n>``, serve until standard input reaches EOF."""
    loop = asyncio.get_running_loop()
    app = BenchApp()
    server = await loop.create_server(lambda: _HttpProtocol(app), host, port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = loop.create_future()

    def on_stdin() -> None:
        if not os.read(sys.stdin.fileno(), 65536) and not stop.done():  # EOF: parent gone
            stop.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    try:
        await stop
    finally:
        loop.remove_reader(sys.stdin.fileno())
        server.close()  # open keep-alive connections die with the process


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
