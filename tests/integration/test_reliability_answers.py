"""Answers no real server sends, from tiny servers on 127.0.0.1: times no datetime can hold,
redirects of the GraphQL endpoint, answers larger than the client accepts."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from tiny_server import tiny_app

from aiomongoose import AdminClient, ApiError, InvalidArgumentError, ProtocolError
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z


def rest_record(timestamp):
    return {"sender": ALICE, "timestamp": timestamp, "message_id": "m", "body": "hi"}


def graphql_page(timestamp: str) -> bytes:
    stanza = "<message id='m' type='chat'><body>hi</body></message>"
    record = {"sender": ALICE, "timestamp": timestamp, "stanza_id": "A1", "stanza": stanza}
    payload = {"stanzas": [record], "limit": 50}
    return json.dumps({"data": {"stanza": {"getLastMessages": payload}}}).encode()


def serving(body: bytes):
    async def handler(request):
        return web.Response(body=body, content_type="application/json")

    return handler


@pytest.mark.parametrize("timestamp", [10**12, 2**64 - 1, 2**63 - 1, LAST_SECOND + 1, -1])
async def test_rest_times_out_of_range_are_a_protocol_error(timestamp):
    page = [rest_record(1_700_000_000)] * 3 + [rest_record(timestamp)]
    async with tiny_app(serving(json.dumps(page).encode())) as url:
        async with AdminClient(url, retry=None) as client:
            with pytest.raises(ProtocolError, match="timestamp"):
                await client.messages.recent(ALICE)
            with pytest.raises(ProtocolError, match="timestamp"):
                async for _ in client.messages.history(ALICE):
                    pass


@pytest.mark.parametrize("timestamp", [0, 1_700_000_000, LAST_SECOND])
async def test_rest_times_in_range_have_a_datetime(timestamp):
    async with tiny_app(serving(json.dumps([rest_record(timestamp)]).encode())) as url:
        async with AdminClient(url, retry=None) as client:
            (message,) = await client.messages.recent(ALICE)
    assert message.sent_at == datetime.fromtimestamp(timestamp, timezone.utc)


@pytest.mark.parametrize(
    "timestamp",
    [
        "9999-12-31T23:59:59.999999-00:01",  # a minute into the year 10000 UTC
        "9999-12-31T23:00:00-14:00",
        "1969-12-31T23:59:59.999999Z",  # before any archive id
    ],
)
async def test_graphql_times_out_of_range_are_a_protocol_error(timestamp):
    async with tiny_app(serving(graphql_page(timestamp))) as url:
        async with AdminClient(url, retry=None, api="graphql") as client:
            with pytest.raises(ProtocolError, match="timestamp"):
                await client.messages.recent(ALICE)
            with pytest.raises(ProtocolError, match="timestamp"):
                async for _ in client.messages.history(ALICE):
                    pass


async def test_graphql_last_instant_is_accepted():
    async with tiny_app(serving(graphql_page("9999-12-31T23:59:59.999999Z"))) as url:
        async with AdminClient(url, retry=None, api="graphql") as client:
            (message,) = await client.messages.recent(ALICE)
    assert message.sent_at == datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)


async def test_a_graphql_before_after_the_year_9999_is_refused_unsent():
    west = timezone(timedelta(hours=-1))
    before = datetime(9999, 12, 31, 23, 30, tzinfo=west)  # 10000-01-01T00:30Z
    async with FakeMongooseIM() as server, AdminClient(server.url, api="graphql") as client:
        with pytest.raises(InvalidArgumentError, match="9999"):
            await client.messages.recent(ALICE, before=before)
        with pytest.raises(InvalidArgumentError, match="9999"):
            client.messages.history(ALICE, before=before)
        assert server.requests == []


async def test_a_rest_before_after_the_year_9999_is_sent_as_seconds():
    # REST takes whole seconds as an integer: any aware datetime has one.
    west = timezone(timedelta(hours=-1))
    before = datetime(9999, 12, 31, 23, 30, tzinfo=west)
    async with FakeMongooseIM() as server, AdminClient(server.url) as client:
        server.add_user(ALICE)
        assert await asyncio.wait_for(client.messages.recent(ALICE, before=before), 5) == []
        assert server.requests[-1].query["before"] == str(LAST_SECOND + 1801)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_graphql_redirects_are_never_followed(status):
    seen: list[str] = []
    answer_posts = False  # while the stream opens: its archive and rooms are read first

    async def handler(request):
        seen.append(f"{request.method} {request.path}")
        if request.path.startswith("/api/") and not (answer_posts and request.method == "POST"):
            return web.Response(status=status, headers={"Location": "/stolen"})
        if b"listUserRooms" in await request.read():  # the subscription lists its rooms
            return web.json_response({"data": {"muc_light": {"listUserRooms": []}}})
        return web.Response(
            body=graphql_page("2024-05-02T10:11:12Z"), content_type="application/json"
        )

    async with tiny_app(handler) as url:
        async with AdminClient(url, auth=("admin", "pw"), api="graphql") as client:
            with pytest.raises(ApiError) as info:
                await client.messages.recent(ALICE)
            assert client.retries == 0
            with pytest.raises(ApiError) as listing:
                await client.users.list("wonderland.lit")
            answer_posts = True
            with pytest.raises(ApiError) as stream:
                async with client.messages.subscribe(ALICE) as incoming:
                    await asyncio.wait_for(incoming.__anext__(), 5)
    for exc in (info.value, listing.value, stream.value):
        assert type(exc) is ApiError
        assert exc.status == status
        assert exc.location == "/stolen"
        assert "redirect to '/stolen' not followed" in str(exc)
    assert info.value.method == "POST" and info.value.url.endswith("/api/graphql")
    assert stream.value.method == "GET" and stream.value.url.endswith("/api/graphql/sse")
    assert seen == [
        "POST /api/graphql",
        "POST /api/graphql",
        "POST /api/graphql",  # the subscription's anchor, answered
        "POST /api/graphql",  # its rooms (none), answered
        "GET /api/graphql/sse",
    ]


MIB = 1024 * 1024


def test_the_answer_cap_defaults_to_64_mib_and_is_checked():
    assert AdminClient().max_answer_bytes == 64 * MIB
    assert AdminClient(max_answer_bytes=1000).max_answer_bytes == 1000
    for bad in (0, -1, 1.5, True, "1000", None):
        with pytest.raises(InvalidArgumentError, match="max_answer_bytes"):
            AdminClient(max_answer_bytes=bad)


async def test_an_answer_past_the_cap_stops_being_read_at_once():
    sent: list[int] = []
    cut = asyncio.Event()

    async def endless(request):
        # 1 GiB announced by nothing (chunked), trickled: reading it all would take ages
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            await response.write(b"[" + b'"x",' * 1000)
            for _ in range(16_384):
                await response.write(b'"' + b"x" * 65_536 + b'",')
                sent.append(1)
                await asyncio.sleep(0.001)
        except (ConnectionError, RuntimeError):
            cut.set()
        return response

    async with tiny_app(endless) as url:
        async with AdminClient(url, retry=None, max_answer_bytes=MIB) as client:
            started = asyncio.get_running_loop().time()
            with pytest.raises(ProtocolError, match="max_answer_bytes") as info:
                await asyncio.wait_for(client.messages.recent(ALICE), 10)
            assert asyncio.get_running_loop().time() - started < 5
        await asyncio.wait_for(cut.wait(), 5)  # the client hung up
    assert len(sent) < 64  # about 1 MiB of it was sent, not the whole
    assert info.value.status == 200


async def test_a_declared_length_past_the_cap_is_refused_before_reading():
    async def announced(request):
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 200 * MIB
        await response.prepare(request)
        await response.write(b"[")
        await asyncio.sleep(30)  # never sends the rest
        return response

    async with tiny_app(announced) as url:
        async with AdminClient(url, retry=None, max_answer_bytes=MIB) as client:
            with pytest.raises(ProtocolError, match="max_answer_bytes"):
                await asyncio.wait_for(client.messages.recent(ALICE), 5)


@pytest.mark.parametrize("api", ["rest", "graphql"])
async def test_the_inflated_size_of_a_gzip_answer_counts(api):
    import gzip

    bomb = gzip.compress(b"[" + b" " * (64 * MIB) + b"]", compresslevel=9)  # ~64 KiB

    async def handler(request):
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        return web.Response(body=bomb, headers=headers)

    assert len(bomb) < MIB
    async with tiny_app(handler) as url:
        async with AdminClient(url, retry=None, max_answer_bytes=MIB, api=api) as client:
            with pytest.raises(ProtocolError, match="max_answer_bytes"):
                await asyncio.wait_for(client.messages.recent(ALICE), 10)


async def test_an_error_answer_past_the_cap_is_an_api_error_with_its_start():
    async def handler(request):
        return web.Response(status=503, text="overloaded " + "x" * (2 * MIB))

    async with tiny_app(handler) as url:
        async with AdminClient(url, retry=None, max_answer_bytes=MIB) as client:
            with pytest.raises(ApiError) as info:
                await asyncio.wait_for(client.messages.recent(ALICE), 10)
    assert info.value.status == 503
    assert info.value.message.startswith("overloaded xxx")
    assert len(info.value.message) <= MIB


async def test_pages_below_the_cap_are_read_whole():
    page = [rest_record(1_700_000_000)] * 40_000  # about 3 MB
    async with tiny_app(serving(json.dumps(page).encode())) as url:
        async with AdminClient(url, retry=None, max_answer_bytes=4 * MIB) as client:
            assert len(await client.messages.recent(ALICE)) == 40_000
