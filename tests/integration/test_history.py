"""history() over real HTTP against the fake server, on both backends: exactly once, newest
first.

Tests taking the ``api`` fixture run with REST and with GraphQL on the same archive and
compare with what the fake server holds; REST-only behaviour (second-granular stalls, 3.7)
has its GraphQL counterpart next to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

from aiomongoose import (
    AdminClient,
    ArchivedMessage,
    ClientClosedError,
    MessageList,
    PaginationError,
)
from aiomongoose.testing import FakeMongooseIM, StoredMessage

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
HATTER = "hatter@wonderland.lit"
US = 1_000_000
BASE_US = 1_700_000_000 * US
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def seed(server: FakeMongooseIM, count: int, per_second: int, *, start_us: int = BASE_US) -> None:
    """`count` messages, `per_second` a second, alternating peers, ids with blanks/repeats."""
    step = US // per_second
    for i in range(count):
        peer = RABBIT if i % 3 else HATTER
        sender, recipient = (ALICE, peer) if i % 2 else (peer, ALICE)
        mid = "" if i % 7 == 0 else f"id{i % 50}"
        body = None if i % 11 == 0 else f"message {i}"
        server.add_message(sender, recipient, at_us=start_us + i * step, body=body, message_id=mid)


def archive_newest_first(
    server: FakeMongooseIM, owner: str, peer: str | None = None, before: int | None = None
) -> list[StoredMessage]:
    """What history() must yield, computed from the fake server's own archive."""
    return [
        e
        for e in reversed(server.archive_of(owner))
        if (peer is None or peer in (e.sender.partition("/")[0], e.recipient.partition("/")[0]))
        and (before is None or e.time_us <= before * US)
    ]


def key(message: ArchivedMessage | StoredMessage) -> tuple[str, int, str, str | None]:
    """What both backends must report identically."""
    return (message.sender, message.timestamp, message.message_id, message.body)


def assert_yields(api: str, got: list[ArchivedMessage], want: list[StoredMessage]) -> None:
    """``got`` is exactly ``want`` (in order), with the backend's own fields right."""
    assert [key(m) for m in got] == [key(e) for e in want]
    if api == "rest":
        assert got == [ArchivedMessage(*key(e)) for e in want]  # no GraphQL-only field set
        return
    assert [m.stanza_id for m in got] == [e.stanza_id for e in want]
    assert len({m.stanza_id for m in got}) == len(got)  # unique
    assert [m.timestamp_us for m in got] == [e.time_us for e in want]
    assert all(m.timestamp == (m.timestamp_us + US // 2) // US for m in got)  # half up
    assert all(m.sent_at == EPOCH + timedelta(microseconds=m.timestamp_us) for m in got)


def graphql_requests(total: int, limit: int) -> int:
    """Requests GraphQL paging needs for `total` messages: each page after the first repeats
    the boundary message (``before`` is inclusive), the last page is short."""
    if total < limit:
        return 1
    return 1 + -(-(total - limit + 1) // (limit - 1))


@pytest.fixture
async def dense():
    """10,000 messages at 20 per second, cap 50."""
    async with FakeMongooseIM(max_result_limit=50) as server:
        for jid in (ALICE, RABBIT, HATTER):
            server.add_user(jid)
        seed(server, 10_000, 20)
        yield server


@pytest.mark.parametrize("page_size", [None, 50, 100, 500])
@pytest.mark.parametrize("peer", [None, RABBIT])
async def test_dense_archive_exactly_once_newest_first(dense, api, page_size, peer):
    want = archive_newest_first(dense, ALICE, peer)
    assert len(want) == (10_000 if peer is None else 6_666)
    async with AdminClient(dense.url, api=api) as client:
        history = client.messages.history(ALICE, peer, page_size=page_size)
        got = [m async for m in history]
    assert_yields(api, got, want)
    assert history.stalls == 0
    if api == "rest":
        # every page overlaps the previous by the ~1.5 s around its boundary (about 30 here)
        assert history.requests <= len(want) // (50 - 31) + 3
    else:
        # the server applies (and reports) its cap of 50 whatever the page size asked
        assert history.requests == graphql_requests(len(want), 50)


async def test_both_backends_yield_the_same_history(dense):
    # Directly, not only through the archive (the whole archive: see the tests above).
    async with AdminClient(dense.url) as rest, AdminClient(dense.url, api="graphql") as gql:
        by_rest = [key(m) async for m in rest.messages.history(ALICE, HATTER, page_size=500)]
        by_graphql = [key(m) async for m in gql.messages.history(ALICE, HATTER)]
    assert by_graphql == by_rest
    assert len(by_rest) == 3_334


async def test_small_pages_stall_on_the_dense_archive_with_a_clear_error(dense):
    # REST only: 20 messages share each reported second, more than the server's cap of 10.
    dense.max_result_limit = 10
    async with AdminClient(dense.url) as client:
        history = client.messages.history(ALICE, page_size=10)
        got = []
        with pytest.raises(PaginationError) as info:
            async for message in history:
                got.append(message)
    err = info.value
    assert (err.owner, err.with_) == (ALICE, None)
    assert err.timestamp == 1_700_000_500  # the newest second: the first page is stuck
    assert ALICE in str(err) and "1700000500" in str(err)
    # first page, the page with nothing new, the same with the largest limit (capped)
    assert history.requests == 3
    assert [r.query.get("limit") for r in dense.requests[-3:]] == ["10", "10", "500"]
    assert_yields("rest", got, archive_newest_first(dense, ALICE)[:10])


async def test_small_pages_step_past_dense_seconds_with_a_larger_limit(dense):
    # Pages of 10 cannot step past 20 messages a second, but the server's cap of 50 can:
    # whenever a page brings nothing new, one request with limit=500 (capped at 50) does.
    want = archive_newest_first(dense, ALICE)
    async with AdminClient(dense.url) as client:
        history = client.messages.history(ALICE, page_size=10)
        got = [m async for m in history]
    assert_yields("rest", got, want)
    assert history.stalls == 0
    limits = [r.query.get("limit") for r in dense.requests]
    assert set(limits) == {"10", "500"}
    assert history.requests == len(limits) < 2 * len(want) // (50 - 31) + 3


@pytest.mark.parametrize("page_size", [40, 50, 10, None])
async def test_a_burst_in_one_reported_second_raises_instead_of_ending(page_size):
    # Issue reproduction: 80 messages between T+0.100 s and T+0.2975 s, all reported as T,
    # nothing older, cap 50. It used to end after the first page with no word.
    async with FakeMongooseIM(max_result_limit=50) as server:
        server.add_user(ALICE)
        for i in range(80):
            server.add_message(RABBIT, ALICE, at_us=BASE_US + 100_000 + i * 2_500, body=str(i))
        async with AdminClient(server.url) as client:
            history = client.messages.history(ALICE, page_size=page_size)
            got = []
            with pytest.raises(PaginationError) as info:
                async for message in history:
                    got.append(message)
        assert info.value.timestamp == 1_700_000_000
        assert len(got) == 50  # what the cap of 50 reaches, then a clear error
        assert_yields("rest", got, archive_newest_first(server, ALICE)[:50])


@pytest.mark.parametrize("page_size", [2, 3, 4])
async def test_two_messages_at_one_instant_on_three_days_page_through(page_size):
    # Issue reproduction: page_size=2 used to raise a false PaginationError here.
    async with FakeMongooseIM(max_result_limit=50) as server:
        server.add_user(ALICE)
        for day in range(3):
            for k in range(2):
                at_us = BASE_US + day * 86_400 * US + 250_000
                server.add_message(RABBIT, ALICE, at_us=at_us, body=f"{day}.{k}")
        async with AdminClient(server.url) as client:
            history = client.messages.history(ALICE, page_size=page_size)
            got = [m async for m in history]
        assert_yields("rest", got, archive_newest_first(server, ALICE))
        assert history.stalls == 0


async def test_a_doubtful_end_is_logged_with_owner_peer_and_timestamp(caplog):
    # The undecidable case: the server caps pages at 10, below the default page size of
    # 50, and its whole archive with this peer is one burst inside (T, T + 0.5 s).
    async with FakeMongooseIM(max_result_limit=10) as server:
        server.add_user(ALICE)
        for i in range(30):
            server.add_message(RABBIT, ALICE, at_us=BASE_US + 1 + i * 1_000, body=str(i))
        async with AdminClient(server.url) as client:
            with caplog.at_level(logging.WARNING, logger="aiomongoose"):
                got = [m async for m in client.messages.history(ALICE, RABBIT)]
        assert_yields("rest", got, archive_newest_first(server, ALICE)[:10])
    (line,) = [r.getMessage() for r in caplog.records if r.name == "aiomongoose"]
    assert line.startswith(f"history of {ALICE} with {RABBIT} ended without proof")
    assert "at most 10 messages although page_size is 50" in line
    assert "1700000000" in line


async def test_a_larger_answer_of_the_same_domain_settles_a_small_archive(caplog):
    # A small archive inside one second is left in doubt (the cap might be its size), but
    # not once the same client has seen a longer answer for that domain: the cap is per
    # host type, so it is at least that for every archive of the domain.
    async with FakeMongooseIM() as server:
        for jid in (ALICE, RABBIT, "bob@elsewhere.lit"):
            server.add_user(jid)
        for i in range(60):
            server.add_message(HATTER, RABBIT, at_us=BASE_US + i * US, body=str(i))
        for owner in (ALICE, "bob@elsewhere.lit"):
            for i in range(3):
                server.add_message(HATTER, owner, at_us=BASE_US + 1 + i, body=str(i))
        async with AdminClient(server.url) as client:
            with caplog.at_level(logging.WARNING, logger="aiomongoose"):
                assert len([m async for m in client.messages.history(RABBIT)]) == 60
                assert len([m async for m in client.messages.history(ALICE)]) == 3
                assert not caplog.records
                assert len([m async for m in client.messages.history("bob@elsewhere.lit")]) == 3
        (line,) = [r.getMessage() for r in caplog.records]
        assert line.startswith("history of bob@elsewhere.lit ended without proof")


async def test_small_pages_page_through_the_dense_archive_on_graphql(dense):
    # The GraphQL counterpart: microsecond times and unique ids leave nothing to stall on.
    want = archive_newest_first(dense, ALICE)
    async with AdminClient(dense.url, api="graphql") as client:
        history = client.messages.history(ALICE, page_size=10)
        got = [m async for m in history]
    assert_yields("graphql", got, want)
    assert history.stalls == 0
    assert history.requests == graphql_requests(10_000, 10) == 1_112


async def test_small_pages_page_through_a_sparse_archive(api):
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.add_user(RABBIT)
        seed(server, 1_000, 2)
        async with AdminClient(server.url, api=api) as client:
            got = [m async for m in client.messages.history(ALICE, page_size=10)]
        assert_yields(api, got, archive_newest_first(server, ALICE))


async def test_on_stall_skip_warns_and_continues_below(dense, caplog):
    # REST only (GraphQL does not stall here: see the test above and the one below).
    dense.max_result_limit = 10
    async with AdminClient(dense.url) as client:
        with caplog.at_level(logging.WARNING, logger="aiomongoose"):
            history = client.messages.history(ALICE, page_size=10, on_stall="skip")
            got = [m async for m in history]
    want = [ArchivedMessage(*key(e)) for e in archive_newest_first(dense, ALICE)]
    # What was yielded is the archive with some stretches left out: in order, no repeats.
    positions, index = [], 0
    for message in got:
        while want[index] != message:
            index += 1
        positions.append(index)
        index += 1
    assert positions == sorted(set(positions))
    assert history.stalls >= 1 and len(got) < len(want)
    assert got[-1].timestamp < 1_700_000_010  # it went on to the oldest part
    assert "could not prove complete" in caplog.text
    assert "that were not delivered are missing; continuing with before=" in caplog.text


async def test_graphql_stalls_only_where_the_cap_cannot_step_past_a_microsecond(caplog):
    # The GraphQL counterpart of a stall: 25 messages archived at the very same microsecond,
    # more than the server's cap of 20, so no page can reach below them. (MongooseIM itself
    # never archives two messages in one microsecond of a node.)
    stuck_us = BASE_US + 100 * US
    async with FakeMongooseIM(max_result_limit=20) as server:
        server.add_user(ALICE)
        server.add_user(RABBIT)
        for i in range(20):
            server.add_message(RABBIT, ALICE, at_us=BASE_US + i * US, message_id=f"old{i}")
        for i in range(25):
            server.add_message(RABBIT, ALICE, at_us=stuck_us, message_id=f"same{i}")
        want = archive_newest_first(server, ALICE)
        async with AdminClient(server.url, api="graphql") as client:
            history = client.messages.history(ALICE, page_size=10)
            got = []
            with pytest.raises(PaginationError) as info:
                async for message in history:
                    got.append(message)
            with caplog.at_level(logging.WARNING, logger="aiomongoose"):
                skipping = client.messages.history(ALICE, page_size=10, on_stall="skip")
                skipped = [m async for m in skipping]
            # a page larger than the shared microsecond needs no skipping at all
            server.max_result_limit = 50
            whole = client.messages.history(ALICE, page_size=30)
            whole_got = [m async for m in whole]
    assert info.value.timestamp == 1_700_000_100
    assert (info.value.owner, info.value.with_) == (ALICE, None)
    assert history.stalls == 1
    # what came before the error: the newest of that microsecond, in order, once each
    assert 10 <= len(got) <= 20
    assert_yields("graphql", got, want[: len(got)])
    # skip: what it delivered of that microsecond, then everything strictly below it
    delivered = len(skipped) - 20
    assert 10 <= delivered <= 20
    assert_yields("graphql", skipped, want[:delivered] + want[25:])
    assert skipping.stalls == 1 and "could not prove complete" in caplog.text
    assert "beyond those delivered are missing; continuing below it" in caplog.text
    assert_yields("graphql", whole_got, want)
    assert whole.stalls == 0


async def test_resume_from_a_cursor_in_a_new_client(dense, api):
    want = archive_newest_first(dense, ALICE)
    async with AdminClient(dense.url, api=api) as first:
        history = first.messages.history(ALICE)
        got = []
        async for message in history:
            got.append(message)
            if len(got) == 1234:  # mid-page
                break
        saved = json.dumps(history.cursor)
    async with AdminClient(dense.url, api=api) as second:
        rest = [m async for m in second.messages.history(ALICE, cursor=json.loads(saved))]
    assert len(got) == 1234
    assert_yields(api, got + rest, want)


async def test_pages_hand_out_each_page_oldest_first_and_cursors_resume(dense, api):
    want = archive_newest_first(dense, ALICE)
    async with AdminClient(dense.url, api=api) as client:
        history = client.messages.history(ALICE)
        pages, cursors = [], []
        async for page in history.pages():
            assert isinstance(page, MessageList)
            pages.append(page)
            cursors.append(history.cursor)
        flat = [m for page in pages for m in reversed(page)]
        assert_yields(api, flat, want)
        if api == "graphql":  # 50 new on the first page, 49 on each full one after it
            assert [len(p) for p in pages[:3]] == [50, 49, 49]
        # resuming from any page's cursor yields exactly the rest
        for index in (0, len(pages) // 2, len(pages) - 1):
            done = sum(len(p) for p in pages[: index + 1])
            rest = [m async for m in client.messages.history(ALICE, cursor=cursors[index])]
            assert_yields(api, rest, want[done:])


async def test_before_bounds_the_history_alike_on_both_backends(api):
    # 6.5 serves both: the same inclusive bound, whole seconds or an aware datetime.
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.add_user(RABBIT)
        seed(server, 3_000, 20)
        want = archive_newest_first(server, ALICE, before=1_700_000_100)
        bound = datetime(2023, 11, 15, 3, 44, 10, tzinfo=timezone(timedelta(hours=5, minutes=30)))
        assert bound.timestamp() == 1_700_000_050
        async with AdminClient(server.url, api=api) as client:
            by_int = [m async for m in client.messages.history(ALICE, before=1_700_000_100)]
            by_datetime = [m async for m in client.messages.history(ALICE, before=bound)]
    assert_yields(api, by_int, want)
    assert by_int[0].message_id == "id0" and len(by_int) == 2_001  # inclusive at 100.0 s
    assert_yields(api, by_datetime, archive_newest_first(server, ALICE, before=1_700_000_050))
    assert len(by_datetime) == 1_001


@asynccontextmanager
async def pool_of_one() -> AsyncIterator[tuple[aiohttp.ClientSession, list[str]]]:
    """A caller's session whose pool holds a single connection, with the waits it traced:
    a request that finds that connection still taken waits for it and adds ``"queued"``."""
    queued: list[str] = []

    async def on_queued(*_: object) -> None:
        queued.append("queued")

    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(on_queued)
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as session:
        yield session, queued


async def test_break_leaves_no_request_or_response_open(dense, api):
    async with pool_of_one() as (session, queued):
        async with AdminClient(dense.url, api=api, session=session, max_connections=1) as client:
            async for _ in client.messages.history(ALICE):
                break
            requests_before = len(dense.requests)
            await asyncio.sleep(0.05)
            assert len(dense.requests) == requests_before == 1  # no request after the break
            assert dense.requests[0].status == 200
            # The one connection (and the client's one slot) is free: the next request gets
            # it at once, without queueing behind an unread answer.
            recent = await asyncio.wait_for(client.messages.recent(ALICE, limit=1), 5)
            assert len(recent) == 1 and queued == []


async def test_cancelling_mid_request_releases_the_connection(dense, api):
    dense.delay(2.0)
    async with pool_of_one() as (session, queued):
        async with AdminClient(dense.url, api=api, session=session, max_connections=1) as client:

            async def consume():
                return [m async for m in client.messages.history(ALICE)]

            async def first_request_received() -> None:
                while not dense.requests:
                    await asyncio.sleep(0.01)

            task = asyncio.create_task(consume())
            await asyncio.wait_for(first_request_received(), 5)
            await asyncio.sleep(0.05)
            assert [r.status for r in dense.requests] == [None]  # the server is still on it
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            dense.delay(0)
            # The cancelled request gave its connection (and slot) back: the next request
            # does not wait for it.
            recent = await asyncio.wait_for(client.messages.recent(ALICE, limit=1), 5)
            assert len(recent) == 1 and queued == []
        assert not session.closed  # the caller's session: the client leaves it open


async def test_closing_the_client_mid_iteration_raises_a_clear_error(dense, api):
    client = AdminClient(dense.url, api=api)
    history = client.messages.history(ALICE, page_size=50)
    first = [await history.__anext__() for _ in range(50)]
    await client.close()
    with pytest.raises(ClientClosedError):
        await history.__anext__()
    assert_yields(api, first, archive_newest_first(dense, ALICE)[:50])


async def test_version_37_no_cap_below_500_and_before_semantics():
    # REST only: 3.7 has no GraphQL (see test_before_bounds_the_history_alike_on_both_backends).
    async with FakeMongooseIM(version="3.7") as server:
        server.add_user(ALICE)
        server.add_user(RABBIT)
        server.clock_us = BASE_US + 10_000 * US
        seed(server, 3_000, 20)
        want = archive_newest_first(server, ALICE)
        want_bounded = archive_newest_first(server, ALICE, before=1_700_000_100)
        async with AdminClient(server.url) as client:
            default = [m async for m in client.messages.history(ALICE)]
            big = client.messages.history(ALICE, page_size=500)
            big_got = [m async for m in big]
            bounded = [m async for m in client.messages.history(ALICE, before=1_700_000_100)]
    assert_yields("rest", default, want)
    assert_yields("rest", big_got, want)
    assert big.requests <= 3_000 // (500 - 31) + 3
    assert_yields("rest", bounded, want_bounded)
    assert bounded[0].message_id == "id0" and len(bounded) == 2_001  # inclusive at 100.0 s
