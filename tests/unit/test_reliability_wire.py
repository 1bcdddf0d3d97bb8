"""The retry loop as aiohttp sees it (aioresponses, no network): what is tried again, how often,
and how long the client sleeps in between (``asyncio.sleep`` is replaced by a recorder)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from types import SimpleNamespace

import aiohttp
import pytest
from yarl import URL

from aiomongoose import (
    AdminClient,
    ApiError,
    BadRequestError,
    Message,
    RetryPolicy,
    ServerError,
    TransportError,
)

BASE = "http://localhost:8088/api"
ALICE = "alice@wonderland.lit"
BOB = "bob@wonderland.lit"
RECENT = URL(f"{BASE}/messages/alice%40wonderland.lit", encoded=True)
SEND = URL(f"{BASE}/messages", encoded=True)
USERS = URL(f"{BASE}/users/wonderland.lit", encoded=True)
RECORD = '[{"sender": "alice@wonderland.lit", "timestamp": 1, "message_id": "", "body": "x"}]'
KEY = SimpleNamespace(host="localhost", port=8088, ssl=True)


@pytest.fixture
def sleeps(monkeypatch):
    """Every delay the client sleeps, in order; the sleeps themselves take no time."""
    recorded: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay, result=None):
        recorded.append(delay)
        await real_sleep(0)
        return result

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return recorded


def calls(mocked, method, url):
    return len(mocked.requests.get((method, url), []))


def refused():
    return aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "Connection refused"))


async def test_get_503_is_tried_three_times_then_raises(mocked, sleeps):
    for _ in range(3):
        mocked.get(RECENT, status=503, body='"busy"')
    async with AdminClient(BASE) as client:
        with pytest.raises(ServerError) as info:
            await client.messages.recent(ALICE)
        assert client.retries == 2
    assert info.value.status == 503 and info.value.message == "busy"
    assert calls(mocked, "GET", RECENT) == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.1 and 0 <= sleeps[1] <= 0.2


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_get_recovers_after_retry_statuses(mocked, sleeps, status):
    mocked.get(RECENT, status=status, body="<html>proxy</html>")
    mocked.get(RECENT, status=status)
    mocked.get(RECENT, body=RECORD)
    async with AdminClient(BASE) as client:
        page = await client.messages.recent(ALICE)
        assert client.retries == 2
    assert len(page) == 1
    assert calls(mocked, "GET", RECENT) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    "exception",
    [
        asyncio.TimeoutError(),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("cut during the body"),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.SocketTimeoutError("read timeout"),
    ],
    ids=["timeout", "disconnected", "payload", "reset", "read-timeout"],
)
async def test_get_recovers_after_connection_failures(mocked, sleeps, exception):
    mocked.get(RECENT, exception=exception)
    mocked.get(RECENT, body=RECORD)
    async with AdminClient(BASE) as client:
        assert len(await client.messages.recent(ALICE)) == 1
        assert client.retries == 1
    assert calls(mocked, "GET", RECENT) == 2


async def test_exhausted_get_raises_the_last_failure_naming_the_tries(mocked, sleeps):
    mocked.get(RECENT, exception=aiohttp.ServerDisconnectedError())
    last = asyncio.TimeoutError()
    mocked.get(RECENT, exception=last)
    async with AdminClient(BASE, retry=RetryPolicy(attempts=2)) as client:
        with pytest.raises(TransportError) as info:
            await client.messages.recent(ALICE)
    assert info.value.__cause__ is last
    assert str(info.value) == f"GET {RECENT} timed out (tried 2 times)"
    assert calls(mocked, "GET", RECENT) == 2


@pytest.mark.parametrize("attempts", [1, 2, 5])
async def test_attempts_count_every_try(mocked, sleeps, attempts):
    mocked.get(RECENT, status=503, repeat=True)
    async with AdminClient(BASE, retry=RetryPolicy(attempts=attempts)) as client:
        with pytest.raises(ServerError):
            await client.messages.recent(ALICE)
        assert client.retries == attempts - 1
    assert calls(mocked, "GET", RECENT) == attempts
    assert len(sleeps) == attempts - 1


async def test_retry_none_tries_once(mocked, sleeps):
    mocked.get(RECENT, status=503, repeat=True)
    async with AdminClient(BASE, retry=None) as client:
        with pytest.raises(ServerError):
            await client.messages.recent(ALICE)
        assert client.retries == 0
    assert calls(mocked, "GET", RECENT) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "cls"), [(500, ServerError), (400, BadRequestError), (302, ApiError)]
)
async def test_other_statuses_are_not_retried(mocked, sleeps, status, cls):
    mocked.get(RECENT, status=status, repeat=True)
    async with AdminClient(BASE) as client:
        with pytest.raises(cls):
            await client.messages.recent(ALICE)
    assert calls(mocked, "GET", RECENT) == 1
    assert sleeps == []


async def test_custom_retry_statuses(mocked, sleeps):
    mocked.get(RECENT, status=429)
    mocked.get(RECENT, status=503)
    async with AdminClient(BASE, retry=RetryPolicy(retry_statuses={429})) as client:
        with pytest.raises(ServerError):
            await client.messages.recent(ALICE)
    assert calls(mocked, "GET", RECENT) == 2


@pytest.mark.parametrize(
    ("header", "max_delay", "slept"),
    [("2", 10.0, 2.0), ("30", 1.5, 1.5), ("0", 10.0, 0.0), ("Thu, 01 Jan 1970 00:00:00 GMT", 5, 0)],
)
async def test_retry_after_is_honoured_up_to_max_delay(mocked, sleeps, header, max_delay, slept):
    mocked.get(RECENT, status=503, headers={"Retry-After": header})
    mocked.get(RECENT, body="[]")
    policy = RetryPolicy(backoff=0.001, max_delay=max_delay)
    async with AdminClient(BASE, retry=policy) as client:
        assert await client.messages.recent(ALICE) == []
    assert sleeps == [slept]


async def test_unusable_retry_after_falls_back_to_backoff(mocked, sleeps):
    mocked.get(RECENT, status=503, headers={"Retry-After": "later"})
    mocked.get(RECENT, body="[]")
    async with AdminClient(BASE, retry=RetryPolicy(backoff=0.004)) as client:
        await client.messages.recent(ALICE)
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.004


# --- sending: retried only when the request never left ---------------------------------


@pytest.mark.parametrize("status", [502, 503, 504, 500])
async def test_send_is_never_retried_after_an_answer(mocked, sleeps, status):
    mocked.post(SEND, status=status, repeat=True)
    async with AdminClient(BASE) as client:
        with pytest.raises(ServerError):
            await client.messages.send(Message(ALICE, BOB, "once"))
        assert client.retries == 0
    assert calls(mocked, "POST", SEND) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "exception",
    [
        asyncio.TimeoutError(),
        aiohttp.SocketTimeoutError("read timeout"),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.ClientPayloadError("cut"),
    ],
    ids=["timeout", "read-timeout", "disconnected", "reset", "payload"],
)
async def test_send_is_never_retried_once_it_may_have_been_sent(mocked, sleeps, exception):
    mocked.post(SEND, exception=exception, repeat=True)
    async with AdminClient(BASE) as client:
        with pytest.raises(TransportError) as info:
            await client.messages.send(Message(ALICE, BOB, "once"))
    assert info.value.__cause__ is exception
    assert "tried" not in str(info.value)
    assert calls(mocked, "POST", SEND) == 1
    assert sleeps == []


async def test_send_is_retried_when_no_connection_was_made(mocked, sleeps):
    mocked.post(SEND, exception=refused())
    mocked.post(SEND, exception=aiohttp.ConnectionTimeoutError("Connection timeout"))
    mocked.post(SEND, status=204)
    async with AdminClient(BASE) as client:
        assert await client.messages.send(Message(ALICE, BOB, "once")) is None
        assert client.retries == 2
    assert calls(mocked, "POST", SEND) == 3


async def test_send_refused_every_time_gives_up_after_attempts(mocked, sleeps):
    mocked.post(SEND, exception=refused(), repeat=True)
    async with AdminClient(BASE, retry=RetryPolicy(attempts=4, backoff=0.01)) as client:
        with pytest.raises(TransportError, match=r"ClientConnectorError.*\(tried 4 times\)$"):
            await client.messages.send(Message(ALICE, BOB, "once"))
    assert calls(mocked, "POST", SEND) == 4
    assert len(sleeps) == 3


# --- logging, TLS and timeouts -----------------------------------------------------------


async def test_retries_are_logged_without_bodies(mocked, sleeps, caplog):
    mocked.get(RECENT, status=503, body='"secret-body-text"')
    mocked.get(RECENT, body=RECORD)
    with caplog.at_level(logging.DEBUG, logger="aiomongoose"):
        async with AdminClient(BASE) as client:
            await client.messages.recent(ALICE)
    records = [r for r in caplog.records if r.name == "aiomongoose"]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.INFO, logging.DEBUG]
    retry = records[1].getMessage()
    assert retry.startswith("GET /api/messages/alice%40wonderland.lit: try 1 of 3 failed (503)")
    assert records[0].getMessage().startswith("GET /api/messages/alice%40wonderland.lit -> 503")
    assert records[2].getMessage().startswith("GET /api/messages/alice%40wonderland.lit -> 200")
    assert "secret-body-text" not in caplog.text and "message_id" not in caplog.text


async def test_ssl_is_passed_through_and_verified_by_default(mocked):
    mocked.get(RECENT, body="[]", repeat=True)
    context = ssl.create_default_context()
    async with AdminClient(BASE) as default, AdminClient(BASE, ssl=context) as custom:
        await default.messages.recent(ALICE)
        await custom.messages.recent(ALICE)
    first, second = mocked.requests[("GET", RECENT)]
    assert first.kwargs["ssl"] is True
    assert second.kwargs["ssl"] is context


async def test_users_list_takes_a_timeout(mocked):
    mocked.get(USERS, body="[]", repeat=True)
    async with AdminClient(BASE, timeout=9) as client:
        await client.users.list("wonderland.lit")
        await client.users.list("wonderland.lit", timeout=1.5)
    first, second = mocked.requests[("GET", USERS)]
    assert first.kwargs["timeout"] == aiohttp.ClientTimeout(total=9)
    assert second.kwargs["timeout"] == aiohttp.ClientTimeout(total=1.5)


@pytest.mark.parametrize("timeout", [0, -1, "1", True, float("nan")])
async def test_users_list_rejects_a_bad_timeout(mocked, timeout):
    async with AdminClient(BASE) as client:
        with pytest.raises(ValueError, match="timeout"):
            await client.users.list("wonderland.lit", timeout=timeout)
    assert mocked.requests == {}
