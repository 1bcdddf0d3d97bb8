"""Retries against the fake server's injected faults: nothing lost, nothing repeated, no message
sent twice. (aiohttp itself repeats a GET once when the connection drops before the answer;
the fake server logs every try, so the counts below are taken from its request log.)"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from aiomongoose import (
    AdminClient,
    ArchivedMessage,
    Message,
    ProtocolError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
US = 1_000_000
BASE_US = 1_700_000_000 * US
FAST = RetryPolicy(backoff=0.001)  # the default 3 tries, without the wait


@pytest.fixture(scope="module")
def archive_20k():
    """(seed function, expected history): 20,000 messages, 4 a second, newest first."""
    step = US // 4

    def seed(server: FakeMongooseIM) -> None:
        server.add_user(ALICE)
        server.add_user(RABBIT)
        for i in range(20_000):
            sender, recipient = (ALICE, RABBIT) if i % 2 else (RABBIT, ALICE)
            mid = "" if i % 7 == 0 else f"id{i % 50}"  # blank and repeated ids
            server.add_message(
                sender, recipient, at_us=BASE_US + i * step, body=f"m{i}", message_id=mid
            )

    return seed


@pytest.fixture
async def server():
    async with FakeMongooseIM() as srv:
        srv.add_user(ALICE)
        srv.add_user(RABBIT)
        yield srv


def expected(server: FakeMongooseIM) -> list[ArchivedMessage]:
    return [
        ArchivedMessage(e.sender, e.timestamp, e.message_id, e.body)
        for e in reversed(server.archive_of(ALICE))
    ]


@pytest.mark.slow
async def test_history_under_faults_is_exactly_once_in_order(archive_20k):
    async with FakeMongooseIM() as server:
        archive_20k(server)
        want = expected(server)
        assert len(want) == 20_000
        server.faults(fail_rate=0.3, drop_rate=0.1, max_consecutive=2, seed=6, method="GET")
        async with AdminClient(server.url, retry=FAST) as client:
            history = client.messages.history(ALICE)
            got = [m async for m in history]
            retries = client.retries
    assert got == want  # every message once, newest first
    log = server.requests
    failed = sum(r.fault == "fail" for r in log)
    dropped = sum(r.fault == "drop-before" for r in log)
    answered = [r for r in log if r.fault is None]
    assert failed > 100 and dropped > 20  # the faults really happened
    # Every page the pager asked for was answered once: no page was fetched twice.
    assert len(answered) == history.requests
    assert all(r.status == 200 for r in answered)
    # Each 503 reached the client and was retried; a drop may have been absorbed by aiohttp.
    assert failed <= retries <= failed + dropped
    assert len(log) == history.requests + failed + dropped


@pytest.mark.slow
async def test_history_under_faults_without_retries_fails_clearly(archive_20k):
    async with FakeMongooseIM() as server:
        archive_20k(server)
        server.faults(fail_rate=0.3, drop_rate=0.1, max_consecutive=2, seed=6, method="GET")
        async with AdminClient(server.url, retry=None) as client:
            got = []
            with pytest.raises((ServerError, TransportError)) as info:
                async for message in client.messages.history(ALICE):
                    got.append(message)
            assert client.retries == 0
    assert len(got) < 20_000
    assert f"GET {server.url}/messages/alice%40wonderland.lit" in str(info.value)
    if isinstance(info.value, ServerError):
        assert info.value.status == 503
    assert got == expected(server)[: len(got)]  # what came before the error was right


async def test_resumed_history_after_a_failure_loses_nothing(server):
    for i in range(600):
        server.add_message(ALICE, RABBIT, at_us=BASE_US + i * US // 3, body=f"m{i}")
    want = expected(server)
    async with AdminClient(server.url, retry=None) as client:
        history = client.messages.history(ALICE)
        got = []
        with pytest.raises(ServerError):  # on the page fetch after the 120th message
            async for message in history:
                got.append(message)
                if len(got) == 120:
                    server.fail_next(1, status=503)
        assert 120 <= len(got) < len(want)
    async with AdminClient(server.url) as client:
        server.fail_next(2, status=503)  # the default policy rides over these
        rest = [m async for m in client.messages.history(ALICE, cursor=history.cursor)]
        assert client.retries == 2
    assert got + rest == want


async def test_send_cut_after_the_server_handled_it_is_not_retried(server):
    server.drop_next(1, when="during", method="POST")
    async with AdminClient(server.url, retry=FAST) as client:
        with pytest.raises(TransportError) as info:
            await client.messages.send(Message(ALICE, RABBIT, "exactly once"))
        assert client.retries == 0
    assert str(info.value).startswith(f"POST {server.url}/messages failed: ")
    assert [r.method for r in server.requests] == ["POST"]
    assert [m.body for m in server.archive_of(ALICE)] == ["exactly once"]
    assert [m.body for m in server.archive_of(RABBIT)] == ["exactly once"]


async def test_send_dropped_before_the_answer_is_not_retried(server):
    server.drop_next(1, when="before", method="POST")
    async with AdminClient(server.url, retry=FAST) as client:
        with pytest.raises(TransportError):
            await client.messages.send(Message(ALICE, RABBIT, "at most once"))
    assert [r.method for r in server.requests] == ["POST"]
    assert server.archive_of(ALICE) == []


async def test_send_answered_503_is_not_retried(server):
    server.fail_next(3, status=503, method="POST")
    async with AdminClient(server.url, retry=FAST) as client:
        with pytest.raises(ServerError) as info:
            await client.messages.send(Message(ALICE, RABBIT, "x"))
        assert client.retries == 0
    assert info.value.status == 503
    assert [r.method for r in server.requests] == ["POST"]


async def test_send_that_times_out_is_not_retried(server):
    server.delay(0.3)
    async with AdminClient(server.url, retry=FAST) as client:
        with pytest.raises(TransportError, match=r"^POST .*/messages timed out"):
            await client.messages.send(Message(ALICE, RABBIT, "slow"), timeout=0.05)
    await asyncio.sleep(0.4)  # let the server finish what it was doing
    assert [r.method for r in server.requests] == ["POST"]
    assert len(server.archive_of(ALICE)) <= 1


async def test_send_to_a_port_with_nothing_listening_is_retried(caplog):
    async with FakeMongooseIM() as gone:
        url = gone.url
    policy = RetryPolicy(attempts=3, backoff=0.001)
    with caplog.at_level(logging.INFO, logger="aiomongoose"):
        async with AdminClient(url, retry=policy, timeout=5) as client:
            with pytest.raises(TransportError) as info:
                await client.messages.send(Message(ALICE, RABBIT, "x"))
            assert client.retries == 2
    assert "(tried 3 times)" in str(info.value)
    assert str(info.value).startswith(f"POST {url}/messages failed: ClientConnectorError")
    retried = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retried) == 2


async def test_get_timeout_names_method_and_path_and_is_retried(server):
    server.delay(0.5)
    async with AdminClient(server.url, retry=FAST) as client:
        started = time.monotonic()
        with pytest.raises(TransportError) as info:
            await client.messages.recent(ALICE, limit=5, timeout=0.05)
        elapsed = time.monotonic() - started
        assert client.retries == 2
    path = f"{server.url}/messages/alice%40wonderland.lit"
    assert str(info.value).startswith(f"GET {path} timed out")
    assert str(info.value).endswith("(tried 3 times)")
    assert "limit=5" not in str(info.value)
    assert len(server.requests) == 3
    assert elapsed < 0.45  # three tries of 0.05 s, not the server's 0.5 s


async def test_users_list_timeout(server):
    server.delay(0.5)
    async with AdminClient(server.url, retry=None) as client:
        with pytest.raises(TransportError) as info:
            await client.users.list("wonderland.lit", timeout=0.05)
    assert str(info.value).startswith(f"GET {server.url}/users/wonderland.lit timed out")


async def test_client_timeout_applies_to_every_call(server):
    server.delay(0.5)
    async with AdminClient(server.url, retry=None, timeout=0.05) as client:
        for call in (
            client.messages.recent(ALICE),
            client.users.list("wonderland.lit"),
            client.messages.send(Message(ALICE, RABBIT, "x")),
        ):
            with pytest.raises(TransportError, match="timed out"):
                await call
        history = client.messages.history(ALICE)
        with pytest.raises(TransportError, match="timed out"):
            await history.__anext__()
    assert len(server.requests) == 4


async def test_malformed_answer_is_not_retried(server):
    server.malformed_next(3)
    async with AdminClient(server.url, retry=FAST) as client:
        with pytest.raises(ProtocolError):
            await client.messages.recent(ALICE)
    assert len(server.requests) == 1
