"""Closing a client with calls in flight, and using one client from several event loops
(``asyncio.run`` twice, per-test loops, notebooks), over real HTTP to the fake server. Warnings
are errors here (setup.cfg): an unclosed session or a destroyed task fails the test."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading

import aiohttp
import pytest

from aiomongoose import AdminClient, ClientClosedError, EventLoopError, MessageList
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"


async def test_closing_with_calls_waiting_and_in_flight_ends_each_cleanly(caplog):
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.delay(0.5)
        client = AdminClient(server.url, max_connections=4, retry=None)
        calls = [asyncio.ensure_future(client.messages.recent(ALICE)) for _ in range(50)]
        await asyncio.sleep(0.2)  # 4 in flight, 46 waiting for a slot
        await client.close()
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)
    kinds = {type(r).__name__ for r in results}
    assert kinds <= {"MessageList", "ClientClosedError"}, [
        r for r in results if not isinstance(r, (MessageList, ClientClosedError))
    ]
    assert sum(isinstance(r, ClientClosedError) for r in results) >= 46
    gc.collect()  # an unclosed session or transport would warn here
    await asyncio.sleep(0.05)
    assert "Task was destroyed" not in caplog.text
    assert "Unclosed" not in caplog.text


async def test_closing_ends_waiting_calls_at_once_on_a_callers_session():
    async with FakeMongooseIM() as server, aiohttp.ClientSession() as session:
        server.add_user(ALICE)
        server.delay(0.5)
        client = AdminClient(server.url, session=session, max_connections=2, retry=None)
        calls = [asyncio.ensure_future(client.messages.recent(ALICE)) for _ in range(10)]
        await asyncio.sleep(0.2)
        await client.close()
        waiting = calls[2:]
        done, _ = await asyncio.wait(waiting, timeout=0.2)  # long before the 0.5 s answers
        assert len(done) == len(waiting)
        for call in waiting:
            assert isinstance(call.exception(), ClientClosedError)
        # the two in flight on the caller's session (which stays open) finish normally
        assert await asyncio.wait_for(asyncio.gather(*calls[:2]), 5) == [[], []]
        assert not session.closed


@contextlib.contextmanager
def server_in_a_thread():
    """A FakeMongooseIM served by its own loop in a thread: the test's loops come and go."""
    ready: list[str] = []
    stop = threading.Event()

    async def serve():
        async with FakeMongooseIM() as server:
            server.add_user(ALICE)
            ready.append(server.url)
            while not stop.is_set():
                await asyncio.sleep(0.02)

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    for _ in range(500):
        if ready:
            break
        threading.Event().wait(0.01)
    try:
        yield ready[0]
    finally:
        stop.set()
        thread.join(10)


def test_a_client_works_from_one_event_loop_after_another():
    with server_in_a_thread() as url:
        client = AdminClient(url, retry=None)  # made outside any loop, like a module global
        for _ in range(3):
            assert asyncio.run(asyncio.wait_for(client.messages.recent(ALICE), 5)) == []
        asyncio.run(client.close())
        with pytest.raises(ClientClosedError):
            asyncio.run(client.messages.recent(ALICE))
    del client
    gc.collect()  # nothing left unclosed: each loop's shutdown closed its session


# A loop closed without asyncio.run's clean-up abandons its sockets (asyncio warns of them
# when they are collected); the client still moves on to the next loop.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_client_outlives_a_loop_closed_without_clean_up():
    with server_in_a_thread() as url:
        client = AdminClient(url, retry=None)
        loop = asyncio.new_event_loop()
        assert loop.run_until_complete(client.messages.recent(ALICE)) == []
        loop.close()
        assert asyncio.run(asyncio.wait_for(client.messages.recent(ALICE), 5)) == []
        asyncio.run(client.close())
    gc.collect()


def test_a_callers_session_from_a_closed_loop_is_never_replaced():
    with server_in_a_thread() as url:

        async def make_session():
            return aiohttp.ClientSession()

        session = asyncio.run(make_session())
        client = AdminClient(url, session=session, retry=None)
        with pytest.raises(EventLoopError, match="event loop"):
            asyncio.run(client.messages.recent(ALICE))
        assert client._transport._session is session  # noqa: SLF001 - never replaced
        session.detach()  # its loop is gone: nothing left to close


async def test_a_client_busy_in_a_live_loop_refuses_another_one():
    async with FakeMongooseIM() as server, AdminClient(server.url) as client:
        server.add_user(ALICE)
        assert await client.messages.recent(ALICE) == []

        def elsewhere():
            return asyncio.run(client.messages.recent(ALICE))

        with pytest.raises(EventLoopError, match="another event loop"):
            await asyncio.to_thread(elsewhere)
        assert await client.messages.recent(ALICE) == []  # still fine in its own loop
