"""Which wire format a client speaks: ``"rest"``, ``"graphql"``, or ``"auto"`` (one probe).

Knows no API group: the groups ask :meth:`Api.resolve` and pick their ``rest`` or
``graphql`` module by the answer.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from ._codec import dumps, loads
from ._transport import Transport
from .errors import ApiError, error_for

__all__ = ["APIS", "Api", "Wire"]

APIS = ("rest", "graphql", "auto")
Wire = Literal["rest", "graphql"]

# The cheapest valid GraphQL request: any GraphQL server answers it with JSON.
_PROBE = dumps({"query": "{ __typename }"})


class Api:
    """The client's API; with ``api="auto"`` it is found on first use and then kept."""

    def __init__(self, transport: Transport, api: str) -> None:
        self._transport = transport
        self.requested = api
        self.known: Wire | None = (
            "rest" if api == "rest" else "graphql" if api == "graphql" else None
        )
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def resolve(self) -> Wire:
        """The wire format, probing the server once if ``api="auto"``."""
        if self.known is None:
            loop = asyncio.get_running_loop()
            if self._lock is None or self._lock_loop is not loop:
                # A lock binds to the loop it first waited in: one per loop.
                self._lock, self._lock_loop = asyncio.Lock(), loop
            async with self._lock:
                if self.known is None:
                    self.known = await self._probe()
        return self.known

    async def _probe(self) -> Wire:
        # One POST {base}/graphql. A GraphQL server answers JSON with `data` or `errors`
        # (even a 400 or 401); a REST-only server answers 404 or something else.
        try:
            status, body = await self._transport.request(
                "POST", ("graphql",), body=_PROBE, idempotent=True, raise_for_status=False
            )
        except ApiError:
            return "rest"
        try:
            data = loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and ("data" in data or "errors" in data) and status != 404:
            return "graphql"
        if status >= 500:
            # A failing server says nothing about the API it speaks: raise rather than
            # settle on REST for good (the next call probes again).
            url = str(self._transport.url(("graphql",)))
            raise self._transport.redact(error_for(status, body, method="POST", url=url))
        return "rest"
