"""The four ways of calling the API that the benchmarks compare.

Each contestant does the same four things a user of the API does: ``recent()`` (one page,
decoded), ``send()`` (one POST), ``history()`` (every message of an archive, newest
first, paging backwards with ``before``) and ``listen()`` (the first N events of a GraphQL
subscription over Server-Sent Events). The raw ones are what a careful user writes by
hand: a status check, Basic auth, one shared session, for ``history()`` the simple
loop that continues from ``before = oldest + 1`` and drops the messages of the previous
page by ``message_id`` (unique in the synthetic archive, unlike real ones), and for
``listen()`` a line reader: ``GET {base}/graphql/sse`` with the subscription in the query
string and ``Accept: text/event-stream``, a check of the status and the content type, then
every ``data:`` line JSON-decoded into a dict and its message payload taken out (MongooseIM
writes each event's JSON on one line).

All contestants open the same number of connections (``max_connections``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

from .server import AUTH

__all__ = ["CONTESTANTS", "Contestant", "available", "make"]

RecentFn = Callable[[str, int, "int | None"], Awaitable[Any]]

SUBSCRIBE = (
    "subscription Incoming($caller: JID!) "
    "{ stanza { subscribeForMessages(caller: $caller) { sender timestamp stanza_id stanza } } }"
)
SSE_HEADERS = {"Accept": "text/event-stream"}


def sse_params(caller: str) -> dict[str, str]:
    """The query string of ``GET {base}/graphql/sse`` for ``caller``'s messages."""
    return {
        "query": SUBSCRIBE,
        "variables": json.dumps({"caller": caller}),
        "operationName": "Incoming",
    }


def _check_stream(status: int, content_type: str) -> None:
    if status != 200 or content_type.partition(";")[0].strip() != "text/event-stream":
        raise RuntimeError(f"GET /graphql/sse: {status} {content_type}")


class Contestant:
    """Base: ``open()``, ``recent()``, ``send()``, ``history()``, ``close()``."""

    name = ""
    label = ""

    def __init__(self, base_url: str, max_connections: int = 64) -> None:
        self.base_url = base_url
        self.max_connections = max_connections

    async def open(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def recent(self, owner: str, limit: int, before: int | None = None) -> Any:
        raise NotImplementedError

    async def send(self, caller: str, to: str, body: str) -> None:
        raise NotImplementedError

    def history(self, owner: str, page_size: int) -> AsyncIterator[Any]:
        return _raw_history(self.recent, owner, page_size)

    async def listen(self, caller: str, n: int) -> str:
        """Read ``n`` events of ``caller``'s subscription; the last one's ``stanza_id``."""
        raise NotImplementedError


async def _raw_history(recent: RecentFn, owner: str, page_size: int) -> AsyncIterator[Any]:
    """The hand-written pager: ``before = oldest + 1``, drop what the last page held."""
    before: int | None = None
    seen: set[str] = set()
    while True:
        page = await recent(owner, page_size, before)
        new = [m for m in page if m["message_id"] not in seen]
        if not new:
            return
        for message in reversed(new):
            yield message
        seen = {m["message_id"] for m in page}
        before = page[0]["timestamp"] + 1


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _params(limit: int, before: int | None) -> dict[str, int]:
    return {"limit": limit} if before is None else {"before": before, "limit": limit}


class AiohttpJson(Contestant):
    """(a) The floor: aiohttp and ``await resp.json()`` (stdlib json), plain dicts."""

    name = "aiohttp-json"
    label = "raw aiohttp + resp.json()"

    async def open(self) -> None:
        # Credentials as a session header: aiohttp 3.12+ deprecates `auth=BasicAuth(...)`.
        self.session = aiohttp.ClientSession(
            headers={"Authorization": basic_auth(*AUTH)},
            connector=aiohttp.TCPConnector(limit=self.max_connections),
        )

    async def close(self) -> None:
        await self.session.close()

    async def recent(self, owner: str, limit: int, before: int | None = None) -> Any:
        url = f"{self.base_url}/messages/{owner}"
        async with self.session.get(url, params=_params(limit, before)) as resp:
            if resp.status != 200:
                raise RuntimeError(f"GET {url}: {resp.status}")
            return await resp.json()

    async def send(self, caller: str, to: str, body: str) -> None:
        data = {"caller": caller, "to": to, "body": body}
        async with self.session.post(f"{self.base_url}/messages", json=data) as resp:
            if resp.status != 204:
                raise RuntimeError(f"POST: {resp.status}")

    _loads: Callable[[bytes], Any] = staticmethod(json.loads)

    async def listen(self, caller: str, n: int) -> str:
        url = f"{self.base_url}/graphql/sse"
        loads = self._loads
        count = 0
        payload: Any = None
        async with self.session.get(url, params=sse_params(caller), headers=SSE_HEADERS) as resp:
            _check_stream(resp.status, resp.headers.get("Content-Type", ""))
            async for line in resp.content:
                if line.startswith(b"data:"):
                    payload = loads(line[5:])["data"]["stanza"]["subscribeForMessages"]
                    count += 1
                    if count == n:
                        break
        if count != n:
            raise RuntimeError(f"the stream ended after {count} of {n} events")
        return str(payload["stanza_id"])


class AiohttpOrjson(AiohttpJson):
    """(b) aiohttp with orjson for both directions, plain dicts."""

    name = "aiohttp-orjson"
    label = "raw aiohttp + orjson"

    async def open(self) -> None:
        import orjson

        self._loads = orjson.loads
        self._dumps = orjson.dumps
        await super().open()

    async def recent(self, owner: str, limit: int, before: int | None = None) -> Any:
        url = f"{self.base_url}/messages/{owner}"
        async with self.session.get(url, params=_params(limit, before)) as resp:
            if resp.status != 200:
                raise RuntimeError(f"GET {url}: {resp.status}")
            return self._loads(await resp.read())

    async def send(self, caller: str, to: str, body: str) -> None:
        data = self._dumps({"caller": caller, "to": to, "body": body})
        async with self.session.post(
            f"{self.base_url}/messages", data=data, headers={"Content-Type": "application/json"}
        ) as resp:
            if resp.status != 204:
                raise RuntimeError(f"POST: {resp.status}")


class Httpx(Contestant):
    """(c) httpx.AsyncClient and ``response.json()``, plain dicts."""

    name = "httpx"
    label = "httpx + response.json()"

    async def open(self) -> None:
        import httpx

        limits = httpx.Limits(
            max_connections=self.max_connections, max_keepalive_connections=self.max_connections
        )
        self.client = httpx.AsyncClient(base_url=self.base_url, auth=AUTH, limits=limits)

    async def close(self) -> None:
        await self.client.aclose()

    async def recent(self, owner: str, limit: int, before: int | None = None) -> Any:
        resp = await self.client.get(f"/messages/{owner}", params=_params(limit, before))
        if resp.status_code != 200:
            raise RuntimeError(f"GET {owner}: {resp.status_code}")
        return resp.json()

    async def send(self, caller: str, to: str, body: str) -> None:
        resp = await self.client.post("/messages", json={"caller": caller, "to": to, "body": body})
        if resp.status_code != 204:
            raise RuntimeError(f"POST: {resp.status_code}")

    async def listen(self, caller: str, n: int) -> str:
        count = 0
        payload: Any = None
        async with self.client.stream(
            "GET", "/graphql/sse", params=sse_params(caller), headers=SSE_HEADERS
        ) as resp:
            _check_stream(resp.status_code, resp.headers.get("Content-Type", ""))
            async for line in resp.aiter_lines():
                if line.startswith("data:"):
                    payload = json.loads(line[5:])["data"]["stanza"]["subscribeForMessages"]
                    count += 1
                    if count == n:
                        break
        if count != n:
            raise RuntimeError(f"the stream ended after {count} of {n} events")
        return str(payload["stanza_id"])


class Aiomongoose(Contestant):
    """(d) aiomongoose: typed, validated models, strict decoding, a pager that proves
    completeness."""

    name = "aiomongoose"
    label = "aiomongoose"

    async def open(self) -> None:
        from aiomongoose import AdminClient, Message

        self._message = Message
        self.client = AdminClient(self.base_url, auth=AUTH, max_connections=self.max_connections)
        # Live messages stream over GraphQL only: a client that speaks it without probing.
        self.live = AdminClient(
            self.base_url, auth=AUTH, api="graphql", max_connections=self.max_connections
        )

    async def close(self) -> None:
        await self.client.close()
        await self.live.close()

    async def recent(self, owner: str, limit: int, before: int | None = None) -> Any:
        return await self.client.messages.recent(owner, limit=limit, before=before)

    async def send(self, caller: str, to: str, body: str) -> None:
        await self.client.messages.send(self._message(caller, to, body))

    def history(self, owner: str, page_size: int) -> AsyncIterator[Any]:
        return self.client.messages.history(owner, page_size=page_size)

    async def listen(self, caller: str, n: int) -> str:
        message = None
        async with self.live.messages.subscribe(caller) as incoming:
            for _ in range(n):
                message = await anext(incoming)
        assert message is not None
        return message.message_id


CONTESTANTS: dict[str, type[Contestant]] = {
    c.name: c for c in (AiohttpJson, AiohttpOrjson, Httpx, Aiomongoose)
}
BASELINE = AiohttpJson.name


def available() -> tuple[list[str], dict[str, str]]:
    """Contestant names whose libraries are importable, and why the others are skipped."""
    names, skipped = [], {}
    for name in CONTESTANTS:
        module = {"aiohttp-orjson": "orjson", "httpx": "httpx"}.get(name)
        if module is not None:
            try:
                __import__(module)
            except ImportError:
                skipped[name] = f"{module} is not installed (pip install -e '.[dev]')"
                continue
        names.append(name)
    return names, skipped


def notes(names: list[str]) -> list[str]:
    """Facts about the environment that move a contestant's figures."""
    import importlib.util

    found = []
    if "httpx" in names and importlib.util.find_spec("sniffio") is None:
        found.append(
            "httpx: sniffio is not installed, so httpcore retries a failed `import sniffio` "
            "for every request (about 4 per request); `pip install sniffio` makes httpx faster"
        )
    return found


def make(name: str, base_url: str, max_connections: int = 64) -> Contestant:
    return CONTESTANTS[name](base_url, max_connections)


def check_page(page: Any, expected: int) -> None:
    """Cheap sanity check that a contestant decoded what the server sent."""
    if len(page) != expected:
        raise AssertionError(f"expected {expected} records, got {len(page)}")
