"""subscribe() over REST: polling the archive with history()'s second-granular care."""

from __future__ import annotations

import asyncio

import pytest

from aiomongoose import (
    AdminClient,
    IncomingMessage,
    InvalidArgumentError,
    InvalidJIDError,
    Message,
)
from aiomongoose.testing import FakeMongooseIM

BOT = "bot@wonderland.lit"
ALICE = "alice@wonderland.lit"
US = 1_000_000
T0 = 1_700_000_000 * US


async def next_of(incoming, seconds: float = 5.0) -> IncomingMessage:
    return await asyncio.wait_for(anext(incoming), seconds)


@pytest.fixture
async def server():
    async with FakeMongooseIM() as server:
        server.add_user(BOT)
        server.add_user(ALICE)
        yield server


async def test_polling_yields_each_new_incoming_message_once_in_order(server):
    server.add_message(ALICE, BOT, at_us=T0, body="before")  # there before: not yielded
    async with AdminClient(server.url) as client:
        async with client.messages.subscribe(BOT, poll_interval=0.02) as incoming:
            # the same reported second as the newest one known, then later ones
            server.add_message(ALICE, BOT, at_us=T0 + 1, body="same second")
            server.add_message(BOT, ALICE, at_us=T0 + 2, body="own")  # the bot's: skipped
            server.add_message(f"{ALICE}/phone", BOT, at_us=T0 + 3 * US, body="later")
            first, second = await next_of(incoming), await next_of(incoming)
            server.add_message(ALICE, BOT, at_us=T0 + 3 * US + 5, body="again")
            third = await next_of(incoming)
    assert [m.body for m in (first, second, third)] == ["same second", "later", "again"]
    assert second.sender == f"{ALICE}/phone" and second.to == BOT and second.stanza == ""
    assert second.received_at.timestamp() == 1_700_000_003


async def test_polling_an_empty_archive_yields_everything_that_arrives(server):
    async with AdminClient(server.url) as client:
        async with client.messages.subscribe(BOT, poll_interval=0.02) as incoming:
            await client.messages.send(Message(ALICE, BOT, "one"))
            await client.messages.send(Message(ALICE, BOT, "two"))
            got = [await next_of(incoming), await next_of(incoming)]
    assert [m.body for m in got] == ["one", "two"]


async def test_more_than_a_page_between_two_polls_is_each_yielded(server):
    server.max_result_limit = 10
    async with AdminClient(server.url) as client:
        async with client.messages.subscribe(BOT, poll_interval=0.02) as incoming:
            for i in range(25):  # 25 in 5 s, more than a page of 10 between two polls
                server.add_message(ALICE, BOT, at_us=T0 + i * US // 5, body=str(i))
            got = [(await next_of(incoming)).body for _ in range(25)]
    assert got == [str(i) for i in range(25)]


async def test_bad_arguments_are_refused_before_any_request(server):
    async with AdminClient(server.url) as client:
        for kwargs in ({"poll_interval": 0}, {"poll_interval": True}, {"max_reconnects": -1}):
            with pytest.raises(InvalidArgumentError):
                client.messages.subscribe(BOT, **kwargs)
        with pytest.raises(InvalidJIDError):
            client.messages.subscribe("not a jid")
    assert not server.requests
