"""Reading the archive over GraphQL: the cap, microsecond `before`, full-JID `with`, cursors.

These behaviours have no REST equivalent (REST rounds to seconds, ignores a resource in
``with`` and has its own cursor), so they run on the GraphQL backend only.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from aiomongoose import AdminClient, InvalidArgumentError, Message
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
HATTER = "hatter@wonderland.lit"
US = 1_000_000
BASE_US = 1_700_000_000 * US
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def at(time_us: int, tz: timezone = timezone.utc) -> datetime:
    """An aware datetime for a microsecond time."""
    return (EPOCH + timedelta(microseconds=time_us)).astimezone(tz)


@pytest.fixture
async def server():
    async with FakeMongooseIM(version="6.6") as srv:
        for jid in (ALICE, RABBIT, HATTER):
            srv.add_user(jid)
        yield srv


async def test_a_limit_above_the_cap(server):
    server.max_result_limit = 20
    for i in range(75):
        server.add_message(RABBIT, ALICE, at_us=BASE_US + i * 10_000, message_id=f"m{i}")
    want = [e.stanza_id for e in reversed(server.archive_of(ALICE))]
    async with AdminClient(server.url, api="graphql") as client:
        recent = await client.messages.recent(ALICE, limit=100)
        asked = server.requests[-1].json["variables"]["limit"]
        history = client.messages.history(ALICE, page_size=100)
        got = [m.stanza_id async for m in history]
    # recent: the newest 20 (the cap), oldest first
    assert [m.message_id for m in recent] == [f"m{i}" for i in range(55, 75)]
    assert asked == 100
    # history: complete, paging by the limit the server reports (20), not the one asked
    assert got == want and len(got) == 75
    assert history.requests == 4  # 20 + 19 + 19 new, then 17 new in a short page: the end
    assert [r.json["variables"]["limit"] for r in server.requests[1:]] == [100] * 4


@pytest.mark.parametrize("tz", [timezone.utc, timezone(timedelta(hours=-7, minutes=-30))])
async def test_microsecond_before_boundaries(server, tz):
    t = BASE_US + 123_456
    for offset in (-1, 0, 1, 500_000):
        server.add_message(RABBIT, ALICE, at_us=t + offset, message_id=f"at{offset}")
    async with AdminClient(server.url, api="graphql") as client:

        async def ids(before: datetime) -> tuple[list[str], list[str]]:
            recent = await client.messages.recent(ALICE, before=before)
            history = client.messages.history(ALICE, before=before, page_size=2)
            return [m.message_id for m in recent], [m.message_id async for m in history]

        server.requests.clear()
        exact = await ids(at(t, tz))
        sent_before = [r.json["variables"]["before"] for r in server.requests]
        one_earlier = await ids(at(t - 1, tz))
        one_later = await ids(at(t + 1, tz))
    # a message at exactly `before` is included, one 1 µs later is not
    assert exact == (["at-1", "at0"], ["at0", "at-1"])
    assert one_earlier == (["at-1"], ["at-1"])
    assert one_later == (["at-1", "at0", "at1"], ["at1", "at0", "at-1"])
    # converted to UTC, µs kept; the history's second page continues at the oldest it got
    assert sent_before == [f"2023-11-14T22:13:20.{us}Z" for us in ("123456", "123456", "123455")]
    # whole seconds round half up: all four report 1_700_000_000, except the last (…20.623)
    async with AdminClient(server.url, api="graphql") as client:
        page = await client.messages.recent(ALICE)
    assert [m.timestamp for m in page] == [1_700_000_000] * 3 + [1_700_000_001]
    assert [m.sent_at for m in page] == [at(t - 1), at(t), at(t + 1), at(t + 500_000)]


async def test_a_full_jid_with_filter_keeps_only_that_resource(server):
    phone, tablet = f"{RABBIT}/phone", f"{RABBIT}/tablet"
    parties = [
        (phone, ALICE),
        (tablet, ALICE),
        (ALICE, phone),
        (RABBIT, ALICE),
        (ALICE, RABBIT),
        (ALICE, tablet),
        (f"{HATTER}/phone", ALICE),
    ]
    for i in range(70):
        sender, recipient = parties[i % len(parties)]
        server.add_message(sender, recipient, at_us=BASE_US + i * 1_000, message_id=f"m{i}")
    archive = list(reversed(server.archive_of(ALICE)))

    def peer_of(e) -> str:
        return e.recipient if e.sender.startswith(ALICE) else e.sender

    async with AdminClient(server.url, api="graphql") as client:
        by_phone = [m async for m in client.messages.history(ALICE, phone, page_size=4)]
        by_bare = [m async for m in client.messages.history(ALICE, RABBIT, page_size=4)]
        recent_phone = await client.messages.recent(ALICE, phone, limit=3)
    assert [m.stanza_id for m in by_phone] == [e.stanza_id for e in archive if peer_of(e) == phone]
    assert len(by_phone) == 20  # 10 from the phone, 10 sent to it
    bare = [e.stanza_id for e in archive if peer_of(e).partition("/")[0] == RABBIT]
    assert [m.stanza_id for m in by_bare] == bare and len(bare) == 60
    assert [m.message_id for m in recent_phone] == ["m58", "m63", "m65"]
    assert {m.sender for m in by_phone} == {phone, ALICE}


async def test_messages_sharing_a_microsecond_across_page_boundaries(server):
    # groups of 7 in one microsecond; pages of 10 split them
    for i in range(140):
        server.add_message(RABBIT, ALICE, at_us=BASE_US + (i // 7) * 1_000, message_id=f"m{i}")
    want = [e.stanza_id for e in reversed(server.archive_of(ALICE))]
    async with AdminClient(server.url, api="graphql") as client:
        history = client.messages.history(ALICE, page_size=10)
        got = [m.stanza_id async for m in history]
    assert got == want and len(set(got)) == 140
    assert history.stalls == 0


async def test_resume_from_a_cursor_across_clients_within_one_microsecond(server):
    for i in range(140):
        server.add_message(RABBIT, ALICE, at_us=BASE_US + (i // 7) * 1_000, message_id=f"m{i}")
    want = [e.stanza_id for e in reversed(server.archive_of(ALICE))]
    got: list[str] = []
    cursor = None
    for stop in (3, 17, 18, 60, 139):  # several clients, stopping inside shared microseconds
        async with AdminClient(server.url, api="graphql") as client:
            history = client.messages.history(ALICE, page_size=10, cursor=cursor)
            async for message in history:
                got.append(message.stanza_id)
                if len(got) == stop:
                    break
            cursor = json.loads(json.dumps(history.cursor))
            assert cursor["api"] == "graphql"
    async with AdminClient(server.url, api="graphql") as client:
        got += [m.stanza_id async for m in client.messages.history(ALICE, cursor=cursor)]
    assert got == want


async def test_cursors_belong_to_the_api_that_made_them():
    async with FakeMongooseIM(version="6.5") as server:
        server.add_user(ALICE)
        for i in range(30):
            server.add_message(RABBIT, ALICE, at_us=BASE_US + i * US)
        async with AdminClient(server.url) as rest, AdminClient(server.url, api="graphql") as gql:
            by_rest = rest.messages.history(ALICE, page_size=10)
            by_graphql = gql.messages.history(ALICE, page_size=10)
            for history in (by_rest, by_graphql):
                for _ in range(5):
                    await history.__anext__()
            rest_cursor, graphql_cursor = by_rest.cursor, by_graphql.cursor
            server.requests.clear()
            with pytest.raises(InvalidArgumentError, match="not a GraphQL history cursor"):
                gql.messages.history(ALICE, cursor=rest_cursor)
            with pytest.raises(InvalidArgumentError):
                rest.messages.history(ALICE, cursor=graphql_cursor)
            with pytest.raises(InvalidArgumentError, match="before differs"):
                gql.messages.history(ALICE, before=1_700_000_010, cursor=graphql_cursor)
            broken = {**graphql_cursor, "seen": []}  # a time without the ids seen at it
            with pytest.raises(InvalidArgumentError):
                gql.messages.history(ALICE, cursor=broken)
            assert server.requests == []
            resumed = [m async for m in gql.messages.history(ALICE, cursor=graphql_cursor)]
    assert len(resumed) == 25 and resumed[0].timestamp == 1_700_000_024


async def test_sent_messages_read_back_with_microseconds(server):
    server.clock_us = BASE_US + 999_999
    async with AdminClient(server.url, api="graphql") as client:
        first = await client.messages.send(Message(ALICE, RABBIT, "one"))
        second = await client.messages.send(Message(ALICE, RABBIT, "two"))
        page = await client.messages.recent(RABBIT)
    assert [m.message_id for m in page] == [first, second]
    assert page[0].timestamp_us < page[1].timestamp_us  # every send advances the clock
    assert page[0].timestamp_us >= BASE_US + 999_999
    assert page[0].timestamp >= 1_700_000_001  # .999999 (or later) rounds up
    assert [m.sent_at for m in page] == [at(m.timestamp_us) for m in page]


async def test_a_body_with_a_control_character_does_not_block_the_archive():
    async with FakeMongooseIM(version="6.5") as server:
        server.add_user(ALICE)
        body = "\x1b[31mred\x1b[0m"
        async with AdminClient(server.url) as rest, AdminClient(server.url, api="graphql") as gql:
            await gql.messages.send(Message(ALICE, RABBIT, body))
            assert [m.body for m in await rest.messages.recent(ALICE)] == [body]
            assert [m.body async for m in gql.messages.history(ALICE)] == [body]
