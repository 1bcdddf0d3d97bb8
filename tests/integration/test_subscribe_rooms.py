"""subscribe() and MUC Light rooms: room messages arrive live, the caller's own echo does
not, and a reconnection reads back each room the subscription has heard from, merged in
time order with the caller's own archive; over real HTTP against the fake server."""

from __future__ import annotations

import logging

import pytest
from live_helpers import ALICE, BOT, RABBIT, bot_server, client_of, next_of, take

from aiomongoose import AdminClient, Message, ServerError
from aiomongoose.testing import FakeMongooseIM

ROOM = "tea@muclight.wonderland.lit"


@pytest.fixture
async def server():
    async with bot_server() as server:
        server.archived_rooms = "muc_light"
        server.add_room(ROOM, members=[ALICE, BOT, RABBIT])
        yield server


async def hear_then_lose_the_stream(server: FakeMongooseIM, client: AdminClient, incoming) -> None:
    """One live message from ROOM (the room is heard from), then the stream is cut (the
    test set ``drop_stream_after(1)``) and nobody reads until the test does."""
    await server.wait_for_sse_sessions(1, BOT)
    await client.rooms.send(ROOM, ALICE, "live")
    assert (await next_of(incoming)).body == "live"
    await server.wait_for_sse_sessions(0, BOT)


async def test_room_messages_arrive_and_the_callers_own_echo_does_not(server):
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            await client.rooms.send(ROOM, ALICE, "hello")
            await client.rooms.send(ROOM, BOT, "mine")  # echoed to the bot: not yielded
            await client.messages.send(Message(RABBIT, BOT, "direct"))
            await client.rooms.send(ROOM, RABBIT, "second")
            got = await take(incoming, 3)
            assert incoming.buffered == 0
    archived = server.room_archive_of(ROOM)
    assert [m.body for m in got] == ["hello", "direct", "second"]
    assert [(m.type, m.room, m.author) for m in got] == [
        ("groupchat", ROOM, ALICE),
        ("chat", None, None),
        ("groupchat", ROOM, RABBIT),
    ]
    assert got[0].sender == f"{ROOM}/{ALICE}" and got[0].to == BOT
    assert [got[0].archive_id, got[2].archive_id] == [archived[0].stanza_id, archived[2].stanza_id]
    assert got[1].archive_id == server.archive_of(BOT)[-1].stanza_id


async def test_room_messages_routed_while_disconnected_are_read_back_in_time_order(server):
    server.drop_stream_after(1)  # the first stream breaks off after one event
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await hear_then_lose_the_stream(server, client, incoming)
            await client.rooms.send(ROOM, ALICE, "gap 1")
            await client.messages.send(Message(RABBIT, BOT, "direct gap"))
            await client.rooms.send(ROOM, BOT, "own gap")  # the bot's own: not yielded
            await client.rooms.send(ROOM, RABBIT, "gap 2")
            got = await take(incoming, 3)
            await client.rooms.send(ROOM, ALICE, "live again")
            again = await next_of(incoming)
            assert incoming.buffered == 0
    assert [m.body for m in got] == ["gap 1", "direct gap", "gap 2"]
    assert [m.room for m in got] == [ROOM, None, ROOM]
    archived = {m.body: m.stanza_id for m in server.room_archive_of(ROOM)}
    assert [got[0].archive_id, got[2].archive_id] == [archived["gap 1"], archived["gap 2"]]
    assert got[0].sender == f"{ROOM}/{ALICE}" and got[0].to == BOT
    assert again.body == "live again" and incoming.reconnects == 1


async def test_a_room_of_the_caller_is_read_back_from_where_it_stood_at_the_start(server):
    # Anchored when the subscription opened (listUserRooms, then each room's newest
    # message): read back after a cut although nothing of it was heard live.
    server.add_room_message(ROOM, ALICE, at_us=server.clock_us - 1, body="before the start")
    server.drop_stream_after(1)
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            await client.messages.send(Message(ALICE, BOT, "live"))
            assert (await next_of(incoming)).body == "live"
            await server.wait_for_sse_sessions(0, BOT)
            await client.rooms.send(ROOM, ALICE, "unheard room, in the gap")
            await client.messages.send(Message(ALICE, BOT, "direct gap"))
            got = await take(incoming, 2)
            await client.rooms.send(ROOM, ALICE, "live again")
            assert (await next_of(incoming)).body == "live again"
            assert incoming.buffered == 0
    assert [m.body for m in got] == ["unheard room, in the gap", "direct gap"]


async def test_a_room_joined_later_and_not_heard_from_is_not_read_back(server):
    # Documented: rooms joined after the start are read back once heard from.
    later = "late@muclight.wonderland.lit"
    server.drop_stream_after(1)
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            server.add_room(later, members=[ALICE, BOT])
            await client.messages.send(Message(ALICE, BOT, "live"))
            assert (await next_of(incoming)).body == "live"
            await server.wait_for_sse_sessions(0, BOT)
            await client.rooms.send(later, ALICE, "joined later, in the gap")
            await client.messages.send(Message(ALICE, BOT, "direct gap"))
            assert (await next_of(incoming)).body == "direct gap"
            await client.rooms.send(later, ALICE, "live again")
            assert (await next_of(incoming)).body == "live again"


async def test_a_room_that_cannot_be_read_back_is_warned_about(server, caplog):
    server.drop_stream_after(1)
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await hear_then_lose_the_stream(server, client, incoming)
            await client.rooms.send(ROOM, ALICE, "lost in the gap")
            server.graphql_disabled_categories = {"muc_light"}
            with caplog.at_level(logging.WARNING, logger="aiomongoose"):
                await client.messages.send(Message(ALICE, BOT, "direct gap"))
                assert (await next_of(incoming)).body == "direct gap"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(ROOM in w and "lost" in w for w in warnings)


async def test_a_failed_read_back_is_done_again_by_the_next_reconnection(server):
    server.drop_stream_after(1)
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await hear_then_lose_the_stream(server, client, incoming)
            await client.rooms.send(ROOM, ALICE, "gap 1")
            await client.messages.send(Message(RABBIT, BOT, "direct gap"))
            server.fail_next(20, status=500, method="POST")  # every try of the read-back
            with pytest.raises(ServerError):
                await next_of(incoming, 15)
            server.clear_faults()
            await client.rooms.send(ROOM, ALICE, "after the failure")
            got = await take(incoming, 3)
            assert incoming.buffered == 0
    assert [m.body for m in got] == ["gap 1", "direct gap", "after the failure"]
    assert incoming.reconnects == 2


async def test_messages_of_one_microsecond_come_back_in_archive_order(server):
    # Ties in time keep each archive's order (bursts within one microsecond).
    server.drop_stream_after(1)
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await hear_then_lose_the_stream(server, client, incoming)
            at = server.clock_us + 1_000
            for body in ("room a", "room b", "room c"):
                server.add_room_message(ROOM, ALICE, at_us=at, body=body)
            for body in ("own a", "own b", "own c"):
                server.add_message(RABBIT, BOT, at_us=at + 1, body=body)
            got = await take(incoming, 6)
            assert incoming.buffered == 0
    assert [m.body for m in got] == ["room a", "room b", "room c", "own a", "own b", "own c"]
