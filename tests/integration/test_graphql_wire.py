"""What the GraphQL backend puts on the wire, and which API a client speaks.

The documents are the constants of ``aiomongoose.messages.graphql`` and
``aiomongoose.users.graphql``, sent unchanged; every value travels in ``variables`` (never
interpolated into the query text). The fake server's request log (``server.requests``)
shows each request as it arrived.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aiomongoose import AdminClient, Message, ServerError
from aiomongoose.messages.graphql import LAST_MESSAGES, SEND_MESSAGE
from aiomongoose.testing import FakeMongooseIM
from aiomongoose.users.graphql import LIST_USERS

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
US = 1_000_000
BASE_US = 1_700_000_000 * US
HOSTILE = (
    'He said "hi" } { stanza { sendMessage(from: $to) } } $from \\" \\u0041\n'
    "second line\r\nthird\ttab # not a comment ... on Fragment @skip(if: true) <b>&amp;</b> '"
)


@pytest.fixture
async def server():
    async with FakeMongooseIM(version="6.6") as srv:
        srv.add_user(ALICE)
        srv.add_user(RABBIT)
        yield srv


def assert_graphql_request(record, query: str, operation: str, variables: dict) -> None:
    assert (record.method, record.path) == ("POST", "/api/graphql")
    assert record.headers["content-type"] == "application/json"
    assert record.json == {"query": query, "variables": variables, "operationName": operation}


async def test_send_sends_the_constant_mutation_and_returns_the_stanza_id(server):
    server.clock_us = BASE_US + 250_000
    async with AdminClient(server.url, api="graphql") as client:
        sent = await client.messages.send(Message(f"{ALICE}/phone", RABBIT, "Hi"))
        assert_graphql_request(
            server.requests[-1],
            SEND_MESSAGE,
            "SendMessage",
            {"from": f"{ALICE}/phone", "to": RABBIT, "body": "Hi"},
        )
        [record] = await client.messages.recent(RABBIT)
    [stored] = server.archive_of(RABBIT)
    assert sent == stored.message_id == record.message_id  # the id read back from the stanza
    assert record.stanza_id == stored.stanza_id != sent  # the archive's id is another one
    assert (record.sender, record.body) == (f"{ALICE}/phone", "Hi")
    assert BASE_US + 250_000 <= record.timestamp_us < BASE_US + 5 * US  # the fake's clock
    assert record.sent_at.microsecond == record.timestamp_us % US


async def test_send_returns_the_id_that_rest_reads_back_too():
    async with FakeMongooseIM(version="6.5") as server:
        server.add_user(ALICE)
        async with AdminClient(server.url, api="graphql") as gql, AdminClient(server.url) as rest:
            ids = [await gql.messages.send(Message(ALICE, RABBIT, f"n{i}")) for i in range(3)]
            by_rest = await rest.messages.recent(ALICE)
    assert len(set(ids)) == 3
    assert [(m.message_id, m.body) for m in by_rest] == [(i, f"n{n}") for n, i in enumerate(ids)]


async def test_recent_variables_hold_every_value_and_only_those_given(server):
    before = datetime(2023, 11, 14, 23, 13, 20, 250_001, tzinfo=timezone(timedelta(hours=1)))
    async with AdminClient(server.url, api="graphql") as client:
        await client.messages.recent(ALICE)
        bare = server.requests[-1]
        await client.messages.recent(ALICE, f"{RABBIT}/phone", before=before, limit=7)
        full = server.requests[-1]
        await client.messages.recent(ALICE, before=1_700_000_000)
        seconds = server.requests[-1]
    assert_graphql_request(bare, LAST_MESSAGES, "LastMessages", {"caller": ALICE})
    assert_graphql_request(
        full,
        LAST_MESSAGES,
        "LastMessages",
        {
            "caller": ALICE,
            "with": f"{RABBIT}/phone",
            "limit": 7,
            "before": "2023-11-14T22:13:20.250001Z",  # in UTC, to the microsecond
        },
    )
    assert seconds.json["variables"] == {"caller": ALICE, "before": "2023-11-14T22:13:20.000000Z"}


async def test_history_requests_step_before_to_the_oldest_microsecond(server):
    for i in range(25):
        server.add_message(RABBIT, ALICE, at_us=BASE_US + i * 1_001)
    archive = server.archive_of(ALICE)
    async with AdminClient(server.url, api="graphql") as client:
        got = [m async for m in client.messages.history(ALICE, RABBIT, page_size=10)]
    assert [m.stanza_id for m in got] == [e.stanza_id for e in reversed(archive)]
    variables = [r.json["variables"] for r in server.requests]
    assert [r.json["query"] for r in server.requests] == [LAST_MESSAGES] * 3
    assert variables == [
        {"caller": ALICE, "with": RABBIT, "limit": 10},
        # inclusive: the oldest delivered message comes again and is dropped by its id
        {"caller": ALICE, "with": RABBIT, "limit": 10, "before": "2023-11-14T22:13:20.015015Z"},
        {"caller": ALICE, "with": RABBIT, "limit": 10, "before": "2023-11-14T22:13:20.006006Z"},
    ]


async def test_users_list_sends_the_constant_query(server):
    server.add_user("Dormouse@Wonderland.lit")
    async with AdminClient(server.url, api="graphql") as client:
        users = await client.users.list("Wonderland.lit")
    assert users == [ALICE, "dormouse@wonderland.lit", RABBIT]
    assert_graphql_request(
        server.requests[-1], LIST_USERS, "ListUsers", {"domain": "Wonderland.lit"}
    )


async def test_hostile_values_travel_as_variables_and_round_trip(server):
    resource = 'r"} $x {\\'
    sender = f"{ALICE}/{resource}"
    async with AdminClient(server.url, api="graphql") as client:
        sent = await client.messages.send(Message(sender, RABBIT, HOSTILE))
        send_request = server.requests[-1]
        page = await client.messages.recent(RABBIT, with_=sender, limit=1)
        read_request = server.requests[-1]
    assert send_request.json["query"] == SEND_MESSAGE  # unchanged by the values
    assert send_request.json["variables"] == {"from": sender, "to": RABBIT, "body": HOSTILE}
    assert HOSTILE.encode() not in send_request.body  # only as a JSON string (escaped)
    assert read_request.json["query"] == LAST_MESSAGES
    assert read_request.json["variables"] == {"caller": RABBIT, "with": sender, "limit": 1}
    [message] = page
    assert (message.sender, message.message_id, message.body) == (sender, sent, HOSTILE)
    [stored] = server.archive_of(RABBIT)
    assert stored.body == HOSTILE


@pytest.mark.parametrize(
    "body",
    ["", " ", "   leading and trailing   ", "\n", "\r", "]]>", "<!-- x -->", "&lt;", "undefined"],
)
async def test_bodies_round_trip_exactly(server, body):
    async with AdminClient(server.url, api="graphql") as client:
        await client.messages.send(Message(ALICE, RABBIT, body))
        [message] = await client.messages.recent(ALICE)
    # unlike REST, where the text "undefined" reads as no body
    assert message.body == body


@pytest.mark.parametrize(
    ("version", "chosen"), [("6.6", "graphql"), ("6.5", "graphql"), ("3.7", "rest")]
)
async def test_auto_probes_once_and_picks_the_api(version, chosen):
    async with FakeMongooseIM(version=version) as server:
        server.add_user(ALICE)
        client = AdminClient(server.url, api="auto")
        assert client.api == "auto"
        assert server.requests == []
        async with client:
            assert client.api == chosen
            [probe] = server.requests
            assert (probe.method, probe.path) == ("POST", "/api/graphql")
            assert probe.json == {"query": "{ __typename }"}
            assert await client.messages.recent(ALICE) == []
            assert await client.detect_api() == chosen  # no second probe
        if chosen == "graphql":
            assert server.requests[-1].json["query"] == LAST_MESSAGES
        else:
            assert server.requests[-1].segments == ("api", "messages", ALICE)
        assert len(server.requests) == 2


async def test_auto_probes_on_the_first_call_and_history_needs_no_probe(server):
    async with AdminClient(server.url, api="auto") as entered:
        assert entered.api == "graphql"
    client = AdminClient(server.url, api="auto")
    try:
        assert await client.users.list("wonderland.lit") == [ALICE, RABBIT]
        assert client.api == "graphql"
    finally:
        await client.close()
    # history() before any probe: its first page resolves the API.
    async with FakeMongooseIM(version="3.7") as rest_only:  # no GraphQL: 404
        rest_only.add_user(ALICE)
        rest_only.add_message(RABBIT, ALICE, at_us=1_700_000_000_000_000, body="hi")
        client = AdminClient(rest_only.url, api="auto")
        try:
            history = client.messages.history(ALICE)
            assert client.api == "auto" and history.cursor is None and not rest_only.requests
            assert [m.body async for m in history] == ["hi"]
            assert client.api == "rest"
            assert [r.path for r in rest_only.requests][:2] == [
                "/api/graphql",
                "/api/messages/alice%40wonderland.lit",
            ]
            assert history.cursor is not None and "api" not in history.cursor
        finally:
            await client.close()


async def test_auto_does_not_settle_on_rest_when_the_probe_fails(server):
    server.fail_next(3, status=503)  # every try of the probe
    client = AdminClient(server.url, api="auto")
    with pytest.raises(ServerError):
        async with client:
            pass
    assert client.closed and client.api == "auto"
    async with AdminClient(server.url, api="auto") as again:
        assert again.api == "graphql"
        assert await again.messages.recent(ALICE) == []
