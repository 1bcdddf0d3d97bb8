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
* ``GET /graphql/sse?query=&variables=&operationName=`` with a ``subscribeForMessages``
  subscription whose ``caller`` is ``stream{N}@bench.lit`` -> ``200 text/event-stream``,
  chunked, ``N`` precomputed events as MongooseIM writes them (``id: i``, ``data: <a whole
  GraphQL response>``, a blank line; see :func:`benchmarks.data.live_event`), then the last
  chunk, and the connection is closed. MongooseIM ends a stream without the last chunk (at
  ``sse_idle_timeout``), which aiohttp reports as an error that can overtake the events still
  buffered: the clean end keeps every contestant's N events readable. Another caller gets
  MongooseIM's answer for an unknown user (200, JSON ``errors``); a query, 400.
* ``POST /graphql`` with ``getLastMessages`` (``subscribe()`` reads where the caller's archive
  stands once, when it starts) -> an empty page; with ``listUserRooms`` (it also lists the
  caller's rooms) -> no rooms; any other document -> 400.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import sys
from urllib.parse import parse_qs, unquote

from .data import archive_page, event_stream, fixed_page

__all__ = ["AUTH", "FIXED_SIZES", "BenchApp", "Closing", "main", "serve"]

AUTH = ("bench", "secret")
FIXED_SIZES = (1, 50, 500)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500

_TOKEN = b"Basic " + base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode())
_ARCHIVE = re.compile(r"archive(\d+)@bench\.lit")
_STREAM = re.compile(r"stream(\d+)@bench\.lit")
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


class Closing(bytes):
    """An answer after which the server closes the connection (an event stream's)."""


def _graphql_error(status: str, code: str, message: str, path: list[str] | None = None) -> bytes:
    error: dict[str, object] = {"extensions": {"code": code}, "message": message}
    answer: dict[str, object] = {"errors": [error]}
    if path:
        error["path"] = path
        answer["data"] = {path[0]: {path[1]: None}}
    body = json.dumps(answer, separators=(",", ":")).encode()
    return _response(status, body, "application/json")


_LAST_MESSAGES = _response(
    "200 OK",
    b'{"data":{"stanza":{"getLastMessages":{"stanzas":[],"limit":50}}}}',
    "application/json",
)
_NO_ROOMS = _response("200 OK", b'{"data":{"muc_light":{"listUserRooms":[]}}}', "application/json")
_NOT_A_QUERY = _graphql_error(
    "400 Bad Request", "bad_request", "Only getLastMessages and listUserRooms are served"
)
_ONLY_SUBSCRIPTIONS = _graphql_error(
    "400 Bad Request",
    "unsupported_operation",
    "The sse execution method does not support query operations.",
)
_UNKNOWN_USER = _graphql_error(
    "200 OK", "unknown_user", "User does not exist", ["stanza", "subscribeForMessages"]
)
_METHOD_NOT_ALLOWED = _response("405 Method Not Allowed")
_STREAM_HEAD = (
    _HEAD.format(status="200 OK") + "cache-control: no-cache\r\n"
    "content-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
).encode()


class BenchApp:
    """Request routing and answers; pure (bytes in, bytes out), so tests can call it."""

    def __init__(self) -> None:
        self.fixed = {
            f"page{k}@bench.lit": _response("200 OK", fixed_page(k), "application/json")
            for k in FIXED_SIZES
        }
        self.streams: dict[str, Closing] = {}  # caller -> its whole answer, a few at most
        self.requests = 0

    def respond(
        self, method: bytes, target: bytes, authorization: bytes | None, body: bytes = b""
    ) -> bytes:
        self.requests += 1
        if authorization != _TOKEN:
            return _UNAUTHORIZED
        path, _, query = target.decode("latin-1").partition("?")
        segments = path.split("/")
        if len(segments) >= 3 and segments[1] == "api" and segments[2] == "graphql":
            return self._graphql(method, segments[3:], query, body)
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
        page = archive_page(int(match.group(1)), before, limit)
        return _response("200 OK", page, "application/json")

    def _graphql(self, method: bytes, rest: list[str], query: str, body: bytes) -> bytes:
        if not rest:  # POST /api/graphql
            if method != b"POST":
                return _NOT_FOUND
            if b"getLastMessages" in body:
                return _LAST_MESSAGES
            return _NO_ROOMS if b"listUserRooms" in body else _NOT_A_QUERY
        if rest != ["sse"]:
            return _NOT_FOUND
        if method != b"GET":
            return _METHOD_NOT_ALLOWED
        params = parse_qs(query)
        document = params.get("query", [""])[0]
        if not document.lstrip().startswith("subscription"):
            return _ONLY_SUBSCRIPTIONS
        try:
            caller = json.loads(params["variables"][0])["caller"]
        except (KeyError, IndexError, TypeError, ValueError):
            return _bad_request("variables must be a JSON object with a caller")
        match = _STREAM.fullmatch(caller) if type(caller) is str else None
        if match is None or "subscribeForMessages" not in document:
            return _UNKNOWN_USER
        answer = self.streams.get(caller)
        if answer is None:
            if len(self.streams) >= 4:
                self.streams.clear()
            answer = Closing(_STREAM_HEAD + event_stream(caller, int(match.group(1))))
            self.streams[caller] = answer
        return answer


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
        out: list[bytes] = []
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
            answer = self.app.respond(method, target, authorization, buffer[end + 4 : total])
            buffer = buffer[total:]
            if isinstance(answer, Closing):  # an event stream: the connection ends with it
                if self.transport is not None:
                    self.transport.write(b"".join(out))
                    self.transport.write(answer)
                    self.transport.close()
                    self.transport = None
                self.buffer = b""
                return
            out.append(answer)
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
