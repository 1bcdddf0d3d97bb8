"""Plain-aiohttp helpers of the FakeMongooseIM conformance tests (real sockets)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import attrs
from multidict import CIMultiDictProxy
from yarl import URL

from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
BOB = "bob@wonderland.lit"
CAROL = "carol@wonderland.lit"
T0 = 1_700_000_000  # a whole second
US = 1_000_000


@attrs.frozen
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Wire:
    """Raw HTTP to one fake server; paths are sent byte for byte (no requoting)."""

    def __init__(self, session: aiohttp.ClientSession, server: FakeMongooseIM) -> None:
        self.session = session
        self.server = server

    def to(self, server: FakeMongooseIM) -> Wire:
        return Wire(self.session, server)

    def url(self, path: str) -> URL:
        return URL(self.server.url + path, encoded=True)

    async def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        async with self.session.request(method, self.url(path), **kwargs) as resp:
            return Answer(resp.status, resp.headers, await resp.read())

    async def get(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str = "/messages", **kwargs: Any) -> Answer:
        return await self.request("POST", path, **kwargs)

    async def send(self, caller: str, to: str, body: str = "hi") -> Answer:
        return await self.post(json={"caller": caller, "to": to, "body": body})


async def gql(
    wire: Wire, query: str, variables: dict[str, Any] | None = None, **payload: Any
) -> Answer:
    """POST a GraphQL document with its variables to ``/graphql``."""
    return await wire.post(
        "/graphql", json={"query": query, "variables": variables or {}, **payload}
    )


def error_of(answer: Answer, status: int) -> dict[str, Any]:
    """The one GraphQL error of an answer that must have ``status``."""
    assert answer.status == status, answer.body
    [error] = answer.json()["errors"]
    return error
