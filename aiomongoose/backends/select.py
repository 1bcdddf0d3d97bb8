"""Which backend a client speaks: fixed by ``api=``, or found by one probe (``api="auto"``)."""

from __future__ import annotations

import asyncio

from .._converter import dumps, loads
from .._http import Transport
from ..errors import ApiError, MongooseIMError, error_for
from .base import Backend
from .graphql import GraphQLBackend
from .rest import RestBackend

__all__ = ["APIS", "BackendSlot"]

APIS = ("rest", "graphql", "auto")

# The cheapest valid GraphQL request: any GraphQL server answers it with JSON.
_PROBE = dumps({"query": "{ __typename }"})


class BackendSlot:
    """Holds the client's backend; with ``api="auto"`` it is chosen on first use."""

    def __init__(self, transport: Transport, api: str) -> None:
        self._transport = transport
        self.api = api
        self._backend: Backend | None = None
        if api == "rest":
            self._backend = RestBackend(transport)
        elif api == "graphql":
            self._backend = GraphQLBackend(transport)
        self._lock = asyncio.Lock()

    def current(self) -> Backend:
        """The backend, which must already be known (always, unless ``api="auto"``)."""
        if self._backend is None:
            raise MongooseIMError(
                "api='auto' has not probed the server yet: enter `async with AdminClient(...)`"
                " or `await client.detect_api()` before calling history()"
            )
        return self._backend

    async def get(self) -> Backend:
        """The backend, probing the server once if ``api="auto"``."""
        if self._backend is None:
            async with self._lock:
                if self._backend is None:
                    self._backend = await self._probe()
        return self._backend

    async def _probe(self) -> Backend:
        # One POST {base}/graphql. A GraphQL server answers JSON with `data` or `errors`
        # (even a 400 or 401); a REST-only server answers 404 or something else.
        try:
            status, body = await self._transport.request(
                "POST", ["graphql"], body=_PROBE, idempotent=True, raise_for_status=False
            )
        except ApiError:
            return RestBackend(self._transport)
        try:
            data = loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and ("data" in data or "errors" in data) and status != 404:
            return GraphQLBackend(self._transport)
        if status >= 500:
            # A failing server says nothing about the API it speaks: raise rather than
            # settle on REST for good (the next call probes again).
            url = str(self._transport.url(["graphql"]))
            raise error_for(status, body, method="POST", url=url)
        return RestBackend(self._transport)
