"""A tiny ``aiohttp.web`` app on 127.0.0.1 that stands in for a misbehaving server or proxy."""

from __future__ import annotations

import contextlib
import socket

from aiohttp import web


@contextlib.asynccontextmanager
async def tiny_app(handler, *, ssl_context=None):
    """Serve ``handler`` for every path; yield the base URL (``.../api``)."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        scheme = "https" if ssl_context else "http"
        yield f"{scheme}://127.0.0.1:{sock.getsockname()[1]}/api"
    finally:
        await runner.cleanup()
        sock.close()
