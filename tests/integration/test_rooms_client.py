"""client.rooms over real HTTP against the fake server, on both APIs where both apply."""

from __future__ import annotations

import pytest

from aiomongoose import (
    AdminClient,
    BadRequestError,
    FeatureDisabledError,
    ForbiddenError,
    InvalidJIDError,
    NotFoundError,
    UnsupportedOperationError,
)
from aiomongoose.testing import FakeMongooseIM

ALICE, BOB, CAROL = "alice@wonderland.lit", "bob@wonderland.lit", "carol@wonderland.lit"
LIGHT = "party@muclight.wonderland.lit"
MUC = "tea@conference.wonderland.lit"
T0 = 1_700_000_000_000_000


def seed(fake: FakeMongooseIM) -> None:
    for user in (ALICE, BOB, CAROL):
        fake.add_user(user)
    fake.add_room(LIGHT, members=[ALICE, BOB])
    fake.add_room(MUC, kind="muc")
    fake.enter_room(MUC, f"{ALICE}/tablet", "Mad/Hatter@tea")


@pytest.fixture
async def server():
    async with FakeMongooseIM(archived_rooms="muc_light") as fake:
        seed(fake)
        yield fake


async def test_history_is_the_whole_room_archive_exact_to_the_microsecond(server):
    # bursts within one microsecond straddle the pages of 50
    times = [T0 + i // 4 for i in range(130)] + [T0 + 1_000_000 + i for i in range(20)]
    for i, at in enumerate(times):
        server.add_room_message(LIGHT, ALICE if i % 2 else BOB, at_us=at, body=f"m{i}")
    archive = server.room_archive_of(LIGHT)
    async with AdminClient(server.url, api="graphql") as client:
        history = client.rooms.history(LIGHT)
        got = [m async for m in history]
        assert [m.stanza_id for m in got] == [m.stanza_id for m in reversed(archive)]
        assert [m.timestamp_us for m in got] == [m.time_us for m in reversed(archive)]
        assert {(m.room, m.author) for m in got} == {(LIGHT, ALICE), (LIGHT, BOB)}
        assert history.requests == 4  # 150 messages, 50 a page, and the short end
        # resume after part of a page, with the cursor as JSON
        first = client.rooms.history(LIGHT, page_size=7)
        seen = []
        async for message in first:
            seen.append(message)
            if len(seen) == 17:
                break
        rest = [m async for m in client.rooms.history(LIGHT, page_size=7, cursor=first.cursor)]
        assert [m.stanza_id for m in seen + rest] == [m.stanza_id for m in got]
        page = await client.rooms.recent(LIGHT, limit=3, before=got[10].sent_at)
        assert [m.stanza_id for m in page] == [m.stanza_id for m in got[10:13][::-1]]


async def test_muc_history_splits_nicks_on_the_first_slash(server):
    server.archived_rooms = "muc"
    server.add_room_message(MUC, "Mad/Hatter@tea", at_us=T0, body="tea?")
    async with AdminClient(server.url, api="graphql") as client:
        [message] = [m async for m in client.rooms.history(MUC, kind="muc")]
        assert (message.room, message.author, message.body) == (MUC, "Mad/Hatter@tea", "tea?")
        # a room of a service that MAM does not archive reads as nothing
        assert [m async for m in client.rooms.history(LIGHT)] == []


async def test_rest_cannot_read_a_room_archive(server):
    async with AdminClient(server.url) as client:
        with pytest.raises(UnsupportedOperationError, match="api='graphql'"):
            client.rooms.history(LIGHT)
        with pytest.raises(UnsupportedOperationError):
            await client.rooms.recent(LIGHT)
    assert server.requests == []
    async with (
        FakeMongooseIM(version="3.7") as legacy,
        AdminClient(legacy.url, api="auto") as client,
    ):
        with pytest.raises(UnsupportedOperationError):  # auto found REST: it knows now
            await client.rooms.recent(LIGHT)
        legacy.requests.clear()
        with pytest.raises(UnsupportedOperationError):
            [m async for m in client.rooms.history(LIGHT)]
        assert legacy.requests == []


async def test_send_to_a_muc_light_room_on_both_apis(server, api):
    async with AdminClient(server.url, api=api) as client:
        assert await client.rooms.send(LIGHT, f"{ALICE}/phone", "hi all") is None
        with pytest.raises(ForbiddenError, match="does not occupy this room"):
            await client.rooms.send(LIGHT, CAROL, "let me in")
        with pytest.raises(NotFoundError, match="Room not found"):
            await client.rooms.send("nope@muclight.wonderland.lit", ALICE, "x")
        with pytest.raises(NotFoundError, match="MUC Light server not found"):
            await client.rooms.send("x@muclight.nowhere.lit", ALICE, "x")
        with pytest.raises(BadRequestError, match="Given user does not exist"):
            await client.rooms.send(LIGHT, "nobody@wonderland.lit", "x")
    [stored] = server.room_archive_of(LIGHT)
    assert (stored.sender, stored.body) == (f"{LIGHT}/{ALICE}", "hi all")
    if api == "rest":
        assert server.requests[0].headers["accept"] == "*/*"


async def test_send_to_a_muc_room_on_both_apis(server, api):
    server.archived_rooms = "muc"
    async with AdminClient(server.url, api=api) as client:
        await client.rooms.send(MUC, f"{ALICE}/tablet", "from the occupant", kind="muc")
        await client.rooms.send(MUC, f"{BOB}/x", "not an occupant: silently dropped", kind="muc")
        if api == "rest":
            await client.rooms.send(MUC, ALICE, "a bare JID is taken, not delivered", kind="muc")
            assert server.requests[-1].path == "/api/mucs/wonderland.lit/tea/messages"
        else:
            server.requests.clear()
            with pytest.raises(InvalidJIDError, match="full JID"):
                await client.rooms.send(MUC, ALICE, "refused before any request", kind="muc")
            assert server.requests == []
    assert [m.body for m in server.room_archive_of(MUC)] == ["from the occupant"]


async def test_read_errors_map_by_code(server):
    async with AdminClient(server.url, api="graphql") as client:
        with pytest.raises(NotFoundError, match="Room not found"):
            await client.rooms.recent("nope@muclight.wonderland.lit")
        with pytest.raises(NotFoundError, match="MUC server not found"):
            await client.rooms.recent("x@conference.nowhere.lit", kind="muc")
        server.archived_rooms = None
        with pytest.raises(FeatureDisabledError, match="mod_mam_muc"):
            await client.rooms.recent(LIGHT)


async def test_rooms_of_a_user_and_of_a_muc_service(server):
    server.add_room("b@muclight.wonderland.lit", members=[BOB, ALICE])
    for n in range(230):  # more than two listing pages of 100, some hidden
        server.add_room(f"r{n:03d}@conference.wonderland.lit", kind="muc", public=n % 7 != 0)
    expected = sorted([MUC] + [f"r{n:03d}@conference.wonderland.lit" for n in range(230) if n % 7])
    async with AdminClient(server.url, api="graphql") as client:
        assert await client.rooms.of_user(ALICE) == ["b@muclight.wonderland.lit", LIGHT]
        with pytest.raises(BadRequestError):
            await client.rooms.of_user("nobody@wonderland.lit")
        server.requests.clear()
        rooms = await client.rooms.list("conference.wonderland.lit", visible_to=CAROL)
        assert sorted(rooms) == expected and len(rooms) == len(set(rooms))
        assert len(server.requests) == 3
        with pytest.raises(NotFoundError):
            await client.rooms.list("nowhere.lit", visible_to=CAROL)
        with pytest.raises(UnsupportedOperationError, match="6.8"):
            await client.rooms.list("muclight.wonderland.lit", kind="muc_light")


async def test_muc_light_list_rooms_pages_with_after_on_6_8():
    async with FakeMongooseIM(version="6.8") as fake:
        fake.add_user(ALICE)
        names = [f"room{n:03d}@muclight.wonderland.lit" for n in range(205)]
        for name in reversed(names):
            fake.add_room(name, members=[ALICE])
        async with AdminClient(fake.url, api="graphql") as client:
            fake.requests.clear()
            assert await client.rooms.list("muclight.wonderland.lit", kind="muc_light") == names
            assert [r.json["variables"].get("after") for r in fake.requests] == [
                None,
                names[99],
                names[199],
            ]
