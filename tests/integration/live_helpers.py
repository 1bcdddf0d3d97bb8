"""What the subscribe() tests share: the fake server with a bot and two users, a GraphQL
client of it, and bounded reads of a subscription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiomongoose import AdminClient, IncomingMessage
from aiomongoose.testing import FakeMongooseIM

BOT = "bot@wonderland.lit"
ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
AUTH = ("admin", "secret")


@asynccontextmanager
async def bot_server() -> AsyncIterator[FakeMongooseIM]:
    """A fake server requiring AUTH, with BOT, ALICE and RABBIT registered."""
    async with FakeMongooseIM(auth=AUTH) as server:
        for jid in (BOT, ALICE, RABBIT):
            server.add_user(jid)
        yield server


def client_of(server: FakeMongooseIM, **kwargs: Any) -> AdminClient:
    """A GraphQL client of ``server`` (subscriptions stream over SSE)."""
    return AdminClient(server.url, auth=AUTH, api="graphql", **kwargs)


async def next_of(incoming: Any, seconds: float = 5.0) -> IncomingMessage:
    """The next message, or a timeout: no test waits forever."""
    message: IncomingMessage = await asyncio.wait_for(anext(incoming), seconds)
    return message


async def take(incoming: Any, n: int) -> list[IncomingMessage]:
    return [await next_of(incoming) for _ in range(n)]
