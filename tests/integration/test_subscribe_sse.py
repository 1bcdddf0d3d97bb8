"""subscribe() over GraphQL's event stream, against the fake server's SSE endpoint.

Nothing lost or repeated across reconnects (a stream cut mid-flight, the server's idle
timeout), errors before the stream, routing, closing, and a stalled consumer.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from live_helpers import ALICE, BOT, RABBIT, bot_server, client_of, next_of, take

from aiomongoose import (
    AdminClient,
    BadRequestError,
    ClientClosedError,
    IncomingMessage,
    Message,
    NotFoundError,
    ProtocolError,
    TransportError,
    UnauthorizedError,
)
from aiomongoose.testing import FakeMongooseIM


@pytest.fixture
async def server():
    async with bot_server() as server:
        yield server


async def test_messages_arrive_in_order_with_their_archive_ids(server):
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            sent = [server.route_message(f"{ALICE}/phone", BOT, body=f"m{i}") for i in range(3)]
            await client.messages.send(Message(BOT, ALICE, "not to itself"))
            server.route_message(RABBIT, BOT, body=None, type="headline")  # not archived
            got = await take(incoming, 4)
    assert [m.body for m in got] == ["m0", "m1", "m2", None]
    assert [m.archive_id for m in got] == [s.stanza_id for s in sent if s] + [None]
    assert got[0].sender == f"{ALICE}/phone" and got[0].to == BOT and got[0].type == "chat"
    assert got[3].type == "headline" and got[0].stanza.startswith("<message")
    assert got[0].received_at.tzinfo is not None


async def test_a_cut_stream_is_resumed_with_nothing_lost_or_repeated(server):
    reconnects: list[tuple[int, str]] = []
    async with client_of(server) as client:
        subscription = client.messages.subscribe(
            BOT, on_reconnect=lambda n, r: reconnects.append((n, r))
        )
        server.drop_stream_after(2)  # the first stream breaks off after two events
        async with subscription as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            sent = [server.route_message(ALICE, BOT, body=f"m{i}") for i in range(6)]
            got = await take(incoming, 6)
            # and it goes on live on the new stream
            server.route_message(ALICE, BOT, body="after")
            after = await next_of(incoming)
    assert [m.body for m in got] == [f"m{i}" for i in range(6)]
    assert [m.archive_id for m in got] == [s.stanza_id for s in sent if s]
    assert after.body == "after" and subscription.reconnects == 1
    assert reconnects[0][0] == 1


async def test_the_idle_timeout_ends_every_stream_and_nothing_is_lost(server):
    server.sse_idle_timeout = 0.2
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            got: list[IncomingMessage] = []
            for i in range(12):
                server.route_message(ALICE, BOT, body=str(i))
                got.append(await next_of(incoming))
                await asyncio.sleep(0.05)
            assert incoming.reconnects >= 2
    assert [m.body for m in got] == [str(i) for i in range(12)]
    assert len({m.archive_id for m in got}) == 12


async def test_messages_routed_while_disconnected_come_from_the_archive(server):
    server.drop_stream_after(1)  # the first stream breaks off after one event
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            server.route_message(ALICE, BOT, body="live")
            assert (await next_of(incoming)).body == "live"
            await server.wait_for_sse_sessions(0, BOT)  # cut; nobody reads yet
            server.route_message(ALICE, BOT, body="gap 1")
            server.route_message(RABBIT, BOT, body=None)  # not archived: lost in a gap
            server.route_message(ALICE, BOT, body="gap 2")
            got = await take(incoming, 2)
            server.route_message(ALICE, BOT, body="live again")
            again = await next_of(incoming)
    assert [m.body for m in got] == ["gap 1", "gap 2"] and again.body == "live again"
    assert all(m.archive_id for m in got) and got[0].stanza.startswith("<message")
    assert incoming.reconnects == 1


async def test_with_the_archive_off_a_reconnect_warns(server, caplog):
    server.mam_enabled = False
    server.drop_stream_after(0)  # the first stream breaks off at once
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            with caplog.at_level(logging.WARNING, logger="aiomongoose"):
                task = asyncio.ensure_future(next_of(incoming))
                for _ in range(500):  # the second stream is up
                    if incoming.reconnects and server.sse_sessions(BOT):
                        break
                    await asyncio.sleep(0.01)
                server.route_message(ALICE, BOT, body="live again")
                message = await task
    assert message.body == "live again" and message.archive_id is None
    assert any("lost" in r.getMessage() for r in caplog.records)


async def test_errors_before_the_stream(server):
    async with AdminClient(server.url, auth=("admin", "wrong"), api="graphql") as client:
        with pytest.raises(UnauthorizedError):
            async with client.messages.subscribe(BOT):
                pass
    async with client_of(server) as client:
        with pytest.raises(BadRequestError, match="User does not exist"):
            async with client.messages.subscribe("nobody@wonderland.lit"):
                pass
    async with FakeMongooseIM(version="3.7") as old:
        async with AdminClient(old.url, api="graphql") as client:
            with pytest.raises(NotFoundError):
                async with client.messages.subscribe(BOT):
                    pass


async def test_after_a_failed_reconnection_iterating_again_reconnects(server):
    server.drop_stream_after(0)  # the first stream dies at once...
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            server.fail_next(1, status=401, method="GET")  # ...and its reconnection fails
            with pytest.raises(UnauthorizedError):
                await next_of(incoming)
            # The caller decides to go on: the next step reconnects (never polls REST).
            task = asyncio.ensure_future(next_of(incoming))
            await server.wait_for_sse_sessions(1, BOT)
            server.route_message(ALICE, BOT, body="back")
            assert (await task).body == "back"
    assert not [r for r in server.requests if r.path.startswith("/api/messages")]


async def test_an_answer_that_is_no_stream_is_a_protocol_error(server):
    server.fail_next(1, status=200, body=b'{"data": {"stanza": null}}', method="GET")
    async with client_of(server) as client:
        with pytest.raises(ProtocolError, match="expected an event stream"):
            async with client.messages.subscribe(BOT):
                pass


async def test_max_reconnects_zero_raises_when_the_stream_ends(server):
    server.drop_stream_after(0)
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT, max_reconnects=0) as incoming:
            with pytest.raises(TransportError, match="max_reconnects=0"):
                await next_of(incoming)


async def test_leaving_breaking_cancelling_or_closing_ends_the_session(server):
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT):
            await server.wait_for_sse_sessions(1, BOT)
        await server.wait_for_sse_sessions(0, BOT)

        async def consume() -> None:
            async with client.messages.subscribe(BOT) as incoming:
                async for _ in incoming:
                    pass

        task = asyncio.ensure_future(consume())
        await server.wait_for_sse_sessions(1, BOT)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await server.wait_for_sse_sessions(0, BOT)

        subscription = client.messages.subscribe(BOT)
        async with subscription as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            server.route_message(ALICE, BOT, body="x")
            async for _ in incoming:
                break
        await server.wait_for_sse_sessions(0, BOT)

    closing = client_of(server)
    async with closing.messages.subscribe(BOT) as incoming:
        await server.wait_for_sse_sessions(1, BOT)
        await closing.close()
        with pytest.raises(ClientClosedError):
            await next_of(incoming)
    await server.wait_for_sse_sessions(0, BOT)


async def test_a_stalled_consumer_holds_a_bounded_buffer(server):
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            for i in range(3000):
                server.route_message(ALICE, BOT, body=f"{i:04d} " + "x" * 500)
            first = await next_of(incoming)
            await asyncio.sleep(0.2)  # let the network deliver whatever it will
            assert incoming.buffered < 300  # one read's worth, not 3000
            rest = [first] + await take(incoming, 2999)
    assert [m.body[:4] for m in rest] == [f"{i:04d}" for i in range(3000)]


async def test_a_higher_priority_client_takes_bare_jid_messages(server):
    async with client_of(server) as client:
        async with client.messages.subscribe(BOT) as incoming:
            await server.wait_for_sse_sessions(1, BOT)
            server.connect_client(f"{BOT}/desktop", priority=5)
            server.route_message(ALICE, BOT, body="to the desktop")
            server.route_message(ALICE, f"{BOT}/nobody", body="to a free resource")
            message = await next_of(incoming)
    assert message.body == "to a free resource"
