"""history() over real HTTP against the fake server: exactly once, newest first."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from aiomongoose import AdminClient, ArchivedMessage, MessageList, PaginationError
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
HATTER = "hatter@wonderland.lit"
US = 1_000_000
BASE_US = 1_700_000_000 * US


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
):
    """What history() must yield, computed from the fake server's own archive."""
    return [
        ArchivedMessage(e.sender, e.timestamp, e.message_id, e.body)
        for e in reversed(server.archive_of(owner))
        if (peer is None or peer in (e.sender.partition("/")[0], e.recipient.partition("/")[0]))
        and (before is None or e.time_us <= before * US)
    ]


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
async def test_dense_archive_exactly_once_newest_first(dense, page_size, peer):
    want = archive_newest_first(dense, ALICE, peer)
    assert len(want) == (10_000 if peer is None else 6_666)
    async with AdminClient(dense.url) as client:
        history = client.messages.history(ALICE, peer, page_size=page_size)
        got = [m async for m in history]
    assert got == want
    # every page overlaps the previous by the ~1.5 s around its boundary (about 30 here)
    assert history.requests <= len(want) // (50 - 31) + 3


async def test_small_pages_stall_on_the_dense_archive_with_a_clear_error(dense):
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
    assert history.requests == 3  # first page, the page with nothing new, one probe
    assert got == archive_newest_first(dense, ALICE)[:10]


async def test_small_pages_page_through_a_sparse_archive():
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.add_user(RABBIT)
        seed(server, 1_000, 2)
        async with AdminClient(server.url) as client:
            got = [m async for m in client.messages.history(ALICE, page_size=10)]
        assert got == archive_newest_first(server, ALICE)


async def test_on_stall_skip_warns_and_continues_below(dense, caplog):
    async with AdminClient(dense.url) as client:
        with caplog.at_level(logging.WARNING, logger="aiomongoose"):
            history = client.messages.history(ALICE, page_size=10, on_stall="skip")
            got = [m async for m in history]
    want = archive_newest_first(dense, ALICE)
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


async def test_resume_from_a_cursor_in_a_new_client(dense):
    want = archive_newest_first(dense, ALICE)
    async with AdminClient(dense.url) as first:
        history = first.messages.history(ALICE)
        got = []
        async for message in history:
            got.append(message)
            if len(got) == 1234:  # mid-page
                break
        saved = json.dumps(history.cursor)
    async with AdminClient(dense.url) as second:
        rest = [m async for m in second.messages.history(ALICE, cursor=json.loads(saved))]
    assert got + rest == want


async def test_pages_hand_out_each_page_oldest_first_and_cursors_resume(dense):
    want = archive_newest_first(dense, ALICE)
    async with AdminClient(dense.url) as client:
        history = client.messages.history(ALICE)
        pages, cursors = [], []
        async for page in history.pages():
            assert isinstance(page, MessageList)
            pages.append(page)
            cursors.append(history.cursor)
        flat = [m for page in pages for m in reversed(page)]
        assert flat == want
        # resuming from any page's cursor yields exactly the rest
        for index in (0, len(pages) // 2, len(pages) - 1):
            done = sum(len(p) for p in pages[: index + 1])
            rest = [m async for m in client.messages.history(ALICE, cursor=cursors[index])]
            assert rest == want[done:]


async def test_break_leaves_no_request_or_response_open(dense):
    async with AdminClient(dense.url) as client:
        async for _ in client.messages.history(ALICE):
            break
        connector = client._transport._session.connector
        assert connector is not None
        assert len(connector._acquired) == 0
        requests_before = len(dense.requests)
        await asyncio.sleep(0.05)
        assert len(dense.requests) == requests_before


async def test_cancelling_mid_request_releases_the_connection(dense):
    dense.delay(2.0)
    async with AdminClient(dense.url) as client:

        async def consume():
            return [m async for m in client.messages.history(ALICE)]

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        connector = client._transport._session.connector
        assert len(connector._acquired) == 0
    dense.delay(0)


async def test_closing_the_client_mid_iteration_raises_a_clear_error(dense):
    client = AdminClient(dense.url)
    history = client.messages.history(ALICE, page_size=50)
    first = [await history.__anext__() for _ in range(50)]
    await client.close()
    from aiomongoose import ClientClosedError

    with pytest.raises(ClientClosedError):
        await history.__anext__()
    assert len(first) == 50


async def test_version_37_no_cap_below_500_and_before_semantics():
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
    assert default == want
    assert big_got == want
    assert big.requests <= 3_000 // (500 - 31) + 3
    assert bounded == want_bounded
    assert bounded[0].message_id == "id0" and len(bounded) == 2_001  # inclusive at 100.0 s
