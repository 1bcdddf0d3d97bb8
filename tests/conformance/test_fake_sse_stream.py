"""The SSE stream of FakeMongooseIM: events, routing, priorities, archiving, the end of a stream.

Plain aiohttp reads the stream over a real socket; every read is bounded in time
(``sse_wire``). The rules are those of docs/server-behaviour.md ("Subscriptions over SSE")
and of MongooseIM's session manager.
"""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET

import aiohttp
import pytest
from fake_wire import ALICE, BOB, CAROL, T0, US, Wire, gql
from sse_wire import Stream, stream

from aiomongoose.testing import FakeMongooseIM

SID = "{urn:xmpp:sid:0}stanza-id"
LAST = (
    "query L($caller: JID!) { stanza { getLastMessages(caller: $caller) "
    "{ stanzas { stanza_id stanza } } } }"
)
SEND = 'mutation M($from: JID!, $to: JID!) { stanza { sendMessage(from: $from, to: $to, body: "gql") { id } } }'  # noqa: E501


def stanza_id_of(xml: str) -> dict[str, str] | None:
    """The attributes of the ``<stanza-id xmlns="urn:xmpp:sid:0"/>`` child, if there is one."""
    found = ET.fromstring(xml).find(SID)
    return None if found is None else dict(found.attrib)


# Events


async def test_an_event_on_the_wire(server, session: aiohttp.ClientSession):
    server.clock_us = T0 * US
    async with stream(session, server) as events:
        stored = server.route_message(f"{BOB}/phone", ALICE, body="Hi & <you>", message_id="m1")
        assert stored is not None
        stanza = (
            "<message from='bob@wonderland.lit/phone' id='m1' to='alice@wonderland.lit'"
            " type='chat'><body>Hi &amp; &lt;you&gt;</body><stanza-id by='alice@wonderland.lit'"
            f" id='{stored.stanza_id}' xmlns='urn:xmpp:sid:0'/></message>"
        )
        data = (
            '{"data":{"stanza":{"subscribeForMessages":{"sender":"bob@wonderland.lit/phone",'
            f'"stanza":"{stanza}","stanza_id":"m1","timestamp":"2023-11-14T22:13:20.000000Z"}}}}}}}}'
        )
        assert await events.lines() == [b"id: 1\n", f"data: {data}\n".encode(), b"\n"]


async def test_messages_from_every_route_arrive_in_order(server, wire: Wire, session):
    server.clock_us = T0 * US
    async with stream(session, server) as events:
        await wire.send(BOB, ALICE, "rest")
        answer = await gql(wire, SEND, {"from": CAROL, "to": ALICE})
        server.route_message(f"{BOB}/phone", ALICE, body="helper")
        got = [await events.event() for _ in range(3)]
    assert [event_id for event_id, _ in got] == [1, 2, 3]
    records = [data["data"]["stanza"]["subscribeForMessages"] for _, data in got]
    assert [r["sender"] for r in records] == [BOB, CAROL, f"{BOB}/phone"]
    assert [r["timestamp"][-9:] for r in records] == ["0.000000Z", "0.000001Z", "0.000002Z"]
    archived = server.archive_of(ALICE)
    assert [stanza_id_of(r["stanza"]) for r in records] == [
        {"by": ALICE, "id": m.stanza_id} for m in archived
    ]
    assert records[1]["stanza_id"] == answer.json()["data"]["stanza"]["sendMessage"]["id"]
    assert [r["stanza_id"] for r in records] == [m.message_id for m in archived]
    # The archive id is the stanza_id that getLastMessages reports; read back, no <stanza-id>.
    last = (await gql(wire, LAST, {"caller": ALICE})).json()["data"]["stanza"]["getLastMessages"]
    assert [s["stanza_id"] for s in last["stanzas"]] == [m.stanza_id for m in archived]
    assert all(stanza_id_of(s["stanza"]) is None for s in last["stanzas"])


async def test_the_event_follows_the_document(server, session):
    document = """
        subscription Watch($caller: JID!) {
          box: stanza { __typename
            first: subscribeForMessages(caller: $caller) { ...Who ... on StanzaMap { id: stanza_id } }
          }
        }
        fragment Who on StanzaMap { from: sender }
    """  # noqa: E501
    async with stream(session, server, query=document) as events:
        server.route_message(BOB, ALICE, message_id="x1")
        _id, data = await events.event()
    assert data == {
        "data": {
            "box": {
                "__typename": "StanzaAdminSubscription",
                "first": {"from": BOB, "id": "x1"},
            }
        }
    }


async def test_ids_count_per_connection_and_nothing_is_replayed(server, session):
    async with stream(session, server) as first:
        server.route_message(BOB, ALICE, body="one")
        assert (await first.event())[0] == 1
    async with stream(session, server, headers={"Last-Event-ID": "1"}) as second:
        await second.nothing()
        server.route_message(BOB, ALICE, body="two")
        event_id, data = await second.event()
        assert event_id == 1
        assert "two" in data["data"]["stanza"]["subscribeForMessages"]["stanza"]


async def test_stanza_id_is_the_id_attribute(server, session):
    async with stream(session, server) as events:
        server.route_message(BOB, ALICE, message_id="", type=None)
        record = await events.message()
    assert record["stanza_id"] == ""
    assert ET.fromstring(record["stanza"]).attrib == {"from": BOB, "to": ALICE}


@pytest.mark.parametrize(
    "how",
    ["no body", "headline", "archive off", "mam disabled", "to oneself"],
)
async def test_unarchived_messages_carry_no_stanza_id(server, session, how):
    sender, kwargs = BOB, {}
    if how == "no body":
        kwargs = {"body": None}
    elif how == "headline":
        kwargs = {"type": "headline"}
    elif how == "archive off":
        kwargs = {"archive": False}
    elif how == "mam disabled":
        server.mam_enabled = False
    else:
        sender = f"{ALICE}/phone"
    async with stream(session, server) as events:
        stored = server.route_message(sender, ALICE, **kwargs)
        record = await events.message()
    assert stanza_id_of(record["stanza"]) is None
    if how == "to oneself":
        assert stored is not None and server.archive_of(ALICE) == [stored]
    else:
        assert stored is None and server.archive_of(ALICE) == []
    if how == "no body":
        assert "<body>" not in record["stanza"] and record["stanza"].endswith("/>")


async def test_a_caller_does_not_receive_what_it_sends_elsewhere(server, wire, session):
    async with stream(session, server) as events:
        await wire.send(ALICE, BOB, "to bob")
        server.route_message(f"{ALICE}/phone", CAROL)
        server.route_message(BOB, CAROL)
        await events.nothing()
        await wire.send(ALICE, ALICE, "to myself")
        record = await events.message()
    assert "to myself" in record["stanza"] and stanza_id_of(record["stanza"]) is None


async def test_each_caller_gets_its_own_messages(server, session):
    async with stream(session, server, ALICE) as alice, stream(session, server, BOB) as bob:
        server.route_message(CAROL, ALICE, body="for alice")
        server.route_message(CAROL, BOB, body="for bob")
        assert "for alice" in (await alice.message())["stanza"]
        assert "for bob" in (await bob.message())["stanza"]
        await alice.nothing()
        await bob.nothing()


# Routing and priorities


async def test_a_higher_priority_client_takes_bare_jid_messages(server, session):
    async with stream(session, server) as events:
        server.connect_client(f"{ALICE}/phone", priority=5)
        server.route_message(BOB, ALICE, body="to the phone")
        server.route_message(BOB, f"{ALICE}/phone", body="the phone itself")
        await events.nothing()
        assert len(server.archive_of(ALICE)) == 2  # the archive still has them
        server.route_message(BOB, f"{ALICE}/laptop", body="no such resource")
        assert "no such resource" in (await events.message())["stanza"]
        [sse_jid] = server.sse_sessions(ALICE)
        server.route_message(BOB, sse_jid, body="exactly this session")
        assert "exactly this session" in (await events.message())["stanza"]
        server.disconnect_client(f"{ALICE}/phone")
        server.route_message(BOB, ALICE, body="phone gone")
        assert "phone gone" in (await events.message())["stanza"]


@pytest.mark.parametrize("priority", [1, 0, -1])
async def test_a_client_without_a_higher_priority_leaves_them_to_the_stream(
    server, session, priority
):
    server.connect_client(f"{ALICE}/phone", priority=priority)
    async with stream(session, server) as events:
        server.route_message(BOB, ALICE, body="bare")
        assert "bare" in (await events.message())["stanza"]


async def test_a_resource_without_a_session_reaches_every_stream(server, session):
    async with stream(session, server) as one, stream(session, server) as two:
        assert len(server.sse_sessions(ALICE)) == 2
        server.route_message(BOB, f"{ALICE}/nowhere", body="both")
        for events in (one, two):
            assert "both" in (await events.message())["stanza"]
        server.route_message(BOB, server.sse_sessions(ALICE)[0], body="one of them")
        got = await asyncio.gather(one.message(0.3), two.message(0.3), return_exceptions=True)
        assert sorted(isinstance(g, dict) for g in got) == [False, True]


def test_client_sessions_are_checked(server):
    with pytest.raises(ValueError, match="full JID"):
        server.connect_client(ALICE)
    with pytest.raises(ValueError, match="not a registered user"):
        server.connect_client("nobody@wonderland.lit/phone")
    with pytest.raises(ValueError, match="-128..127"):
        server.connect_client(f"{ALICE}/phone", priority=128)
    with pytest.raises(TypeError):
        server.connect_client(f"{ALICE}/phone", priority=True)
    server.disconnect_client(f"{ALICE}/never-connected")  # nothing to do


# The end of a stream, and the sessions


async def test_closing_the_connection_ends_the_session(server, session):
    async with stream(session, server):
        [jid] = server.sse_sessions(ALICE)
        assert jid.startswith(f"{ALICE}/sse-") and len(jid) == len(ALICE) + 41
        assert server.sse_sessions() == [jid] and server.sse_sessions(BOB) == []
    await server.wait_for_sse_sessions(0, timeout=1.0)
    server.route_message(BOB, ALICE)  # nobody to deliver to


async def test_waiting_for_sessions_times_out(server):
    with pytest.raises(asyncio.TimeoutError):
        await server.wait_for_sse_sessions(1, ALICE, timeout=0.05)


async def test_idle_timeout_counts_from_the_start_of_a_busy_stream(server, session):
    server.sse_idle_timeout = 0.4
    started = time.monotonic()
    async with stream(session, server) as events:
        with pytest.raises(aiohttp.ClientPayloadError):
            for n in range(20):  # a message every 0.1 s for 2 s: activity resets nothing
                server.route_message(BOB, ALICE, body=f"busy {n}")
                assert (await events.event())[0] == n + 1
                await asyncio.sleep(0.1)
        assert 0.4 <= time.monotonic() - started < 1.2
    await server.wait_for_sse_sessions(0, timeout=1.0)


async def test_idle_timeout_ends_a_quiet_stream(session):
    async with FakeMongooseIM(sse_idle_timeout=0.2) as fake:
        fake.add_user(ALICE)
        started = time.monotonic()
        async with stream(session, fake) as events:
            await events.broken_off()
        assert 0.2 <= time.monotonic() - started < 1.5
        assert fake.sse_sessions() == []
        with pytest.raises(ValueError):
            fake.sse_idle_timeout = 0


async def test_drop_stream_after_n_events(server, session):
    server.drop_stream_after(2, streams=2)
    server.requests.clear()
    for _ in range(2):
        async with stream(session, server) as events:
            for n in range(3):
                server.route_message(BOB, ALICE, body=f"m{n}")
            assert [(await events.event())[0] for _ in range(2)] == [1, 2]
            await events.broken_off()
        await server.wait_for_sse_sessions(0, timeout=1.0)
    async with stream(session, server) as events:  # the third one is not dropped
        server.route_message(BOB, ALICE)
        assert (await events.event())[0] == 1
    assert [r.fault for r in server.requests] == ["drop-stream", "drop-stream", None]
    server.drop_stream_after(0)
    async with stream(session, server) as events:
        await events.broken_off()
    server.drop_stream_after(1)
    server.clear_faults()
    async with stream(session, server) as events:
        server.route_message(BOB, ALICE)
        server.route_message(BOB, ALICE)
        assert [(await events.event())[0] for _ in range(2)] == [1, 2]


async def test_drop_during_breaks_a_stream_off_before_its_first_event(server, session):
    server.drop_next(when="during", method="GET")
    async with stream(session, server) as events:
        await events.broken_off()
    assert server.requests[-1].fault == "drop-during"


async def test_closing_the_server_ends_every_stream_promptly(session):
    fake = FakeMongooseIM()
    await fake.start()
    fake.add_user(ALICE)
    fake.add_user(BOB)
    async with stream(session, fake, ALICE) as alice, stream(session, fake, BOB) as bob:
        started = time.monotonic()
        await fake.close()
        assert time.monotonic() - started < 0.9  # aiohttp alone would wait 1 s for handlers
        await alice.broken_off()
        await bob.broken_off()
    assert fake.sse_sessions() == []


async def test_a_slow_reader_holds_the_stream_back(server, session):
    """Unread events stay in the session's queue: the fake writes no faster than the
    connection takes them (aiohttp's write backpressure), and loses none."""
    body = "x" * 50_000
    count = 400  # 20 MB: more than the socket buffers of a loopback connection take
    async with stream(session, server) as events:
        for n in range(count):
            server.route_message(BOB, ALICE, body=f"{n} {body}", archive=False)
        await asyncio.sleep(0.3)  # the stream writes what the connection takes, then waits
        [connection] = server._runner.server.connections  # internals, to look at the buffers
        assert connection.transport.get_write_buffer_size() < 256 * 1024
        await check_all_arrive(events, count)


async def check_all_arrive(events: Stream, count: int) -> None:
    for n in range(count):
        event_id, data = await events.event()
        assert event_id == n + 1
        assert f"<body>{n} " in data["data"]["stanza"]["subscribeForMessages"]["stanza"]


async def test_closing_the_server_does_not_wait_for_a_slow_reader(session):
    fake = FakeMongooseIM()
    await fake.start()
    fake.add_user(ALICE)
    async with stream(session, fake) as events:
        for n in range(200):
            fake.route_message(BOB, ALICE, body=f"{n} " + "x" * 50_000, archive=False)
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await fake.close()
        assert time.monotonic() - started < 0.9
        await events.broken_off(within=5.0)
