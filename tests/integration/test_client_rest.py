"""AdminClient against the fake server over real sockets: send, recent, users, errors."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

import aiohttp
import pytest

from aiomongoose import (
    AdminClient,
    ArchivedMessage,
    BadRequestError,
    ClientClosedError,
    InvalidJIDError,
    Message,
    MessageList,
    NotFoundError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
HATTER = "hatter@wonderland.lit"
US = 1_000_000
BASE_US = 1_700_000_000 * US


@pytest.fixture
async def server():
    async with FakeMongooseIM() as srv:
        for jid in (ALICE, RABBIT, HATTER):
            srv.add_user(jid)
        yield srv


async def test_readme_example_sends_and_reads_back(server):
    async with AdminClient(server.url) as client:
        sent = await client.messages.send(Message(caller=ALICE, to=RABBIT, body="Hi"))
        page = await client.messages.recent(ALICE, limit=50)
        rabbit_page = await client.messages.recent(RABBIT, with_=ALICE)
    assert sent is None
    assert isinstance(page, MessageList) and len(page) == 1
    message = page[0]
    assert (message.sender, message.body) == (ALICE, "Hi")
    assert len(message.message_id) == 16
    assert abs(message.timestamp - server.clock_us / US) <= 1
    assert rabbit_page == page  # the same record in the recipient's archive


async def test_recent_with_filter_before_and_limit(server):
    for i in range(30):
        peer = RABBIT if i % 2 else HATTER
        server.add_message(ALICE, peer, at_us=BASE_US + i * US, message_id=f"m{i}")
    async with AdminClient(server.url) as client:
        with_rabbit = await client.messages.recent(ALICE, with_=RABBIT)
        bounded = await client.messages.recent(ALICE, before=1_700_000_010, limit=3)
        by_datetime = await client.messages.recent(
            ALICE, before=datetime.fromtimestamp(1_700_000_010.9, timezone.utc), limit=3
        )
    assert [m.message_id for m in with_rabbit] == [f"m{i}" for i in range(1, 30, 2)]
    # before is inclusive; the newest `limit` come back, oldest first
    assert [m.message_id for m in bounded] == ["m8", "m9", "m10"]
    assert by_datetime == bounded  # an aware datetime is floored to the second


async def test_server_cap_and_default_limit(server):
    for i in range(120):
        server.add_message(ALICE, RABBIT, at_us=BASE_US + i * US)
    async with AdminClient(server.url) as client:
        default = await client.messages.recent(ALICE)
        asked = await client.messages.recent(ALICE, limit=100)
        few = await client.messages.recent(ALICE, limit=7)
    assert len(default) == len(asked) == 50
    assert len(few) == 7
    assert default[-1].timestamp == 1_700_000_119


async def test_records_as_the_server_writes_them(server):
    server.add_message(f"{RABBIT}/pocket watch", ALICE, at_us=BASE_US, body=None, message_id="")
    async with AdminClient(server.url) as client:
        page = await client.messages.recent(ALICE)
    assert page == [ArchivedMessage(f"{RABBIT}/pocket watch", 1_700_000_000, "", None)]


@pytest.mark.parametrize(
    "resource", ["phone/2", "a+b", "100%", "with space", "caf\u00e9 \u2615", "q?x#y"]
)
async def test_full_jids_travel_as_one_encoded_segment(server, resource):
    full = f"{ALICE}/{resource}"
    async with AdminClient(server.url) as client:
        await client.messages.send(Message(caller=full, to=RABBIT, body="x"))
        page = await client.messages.recent(RABBIT, with_=full)
        owner_full = await client.messages.recent(full)  # reads the bare owner's archive
    assert [m.sender for m in page] == [full]
    assert [m.sender for m in owner_full] == [full]
    last = server.requests[-1]
    assert last.segments[-1] == full


async def test_auth_accepted_and_refused():
    async with FakeMongooseIM(auth=("admin", "secret")) as server:
        server.add_user(ALICE)
        async with AdminClient(server.url, auth=("admin", "secret")) as good:
            assert await good.messages.recent(ALICE) == []
        with warnings.catch_warnings():  # aiohttp 3.14 deprecates BasicAuth; still accepted
            warnings.simplefilter("ignore", DeprecationWarning)
            wrong = aiohttp.BasicAuth("admin", "wrong")
        async with AdminClient(server.url, auth=wrong) as bad:
            with pytest.raises(UnauthorizedError) as info:
                await bad.messages.recent(ALICE)
        async with AdminClient(server.url) as none:
            with pytest.raises(UnauthorizedError):
                await none.messages.recent(ALICE)
    assert info.value.status == 401
    assert "wrong" not in str(info.value)


async def test_credentials_sent_to_a_server_without_any_are_refused(server):
    async with AdminClient(server.url, auth=("admin", "secret")) as client:
        with pytest.raises(UnauthorizedError):
            await client.messages.recent(ALICE)


@pytest.mark.parametrize(
    ("call", "text", "status"),
    [
        (lambda c: c.messages.recent("nobody@wonderland.lit"), "User does not exist", 400),
        (lambda c: c.messages.recent("alice@nowhere.lit"), "User's domain does not exist", 400),
        (
            lambda c: c.messages.send(Message(caller="ghost@wonderland.lit", to=ALICE, body="b")),
            "User does not exist",
            400,
        ),
        # 6.5 answers 200 with the character codes of the text; still an error for us
        (lambda c: c.users.list("nowhere.lit"), "Domain does not exist", 200),
    ],
)
async def test_errors_carry_the_servers_text(server, call, text, status):
    async with AdminClient(server.url) as client:
        with pytest.raises(BadRequestError) as info:
            await call(client)
    assert info.value.message == text
    assert info.value.status == status


async def test_users_of_a_domain(server):
    async with AdminClient(server.url) as client:
        assert await client.users.list("wonderland.lit") == sorted([ALICE, RABBIT, HATTER])


async def test_host_header_mismatch_explains_itself_and_host_header_fixes_it():
    async with FakeMongooseIM(host="localhost") as server:
        server.add_user(ALICE)
        async with AdminClient(server.url) as client:
            with pytest.raises(BadRequestError) as info:
                await client.messages.recent(ALICE)
        async with AdminClient(server.url, host_header="localhost") as client:
            assert await client.messages.recent(ALICE) == []
    assert info.value.message == ""
    assert "host_header='localhost'" in str(info.value)


async def test_version_37_plain_text_errors():
    async with FakeMongooseIM(version="3.7") as server:
        server.add_user(ALICE)
        async with AdminClient(server.url) as client:
            with pytest.raises(ServerError) as info:
                await client.messages.recent(ALICE, limit=501)
            with pytest.raises(NotFoundError):
                await client._transport.request("GET", ["messages"])
    assert info.value.status == 500


async def test_invalid_input_never_reaches_the_server(server):
    async with AdminClient(server.url) as client:
        with pytest.raises(InvalidJIDError):
            await client.messages.recent("alice@wonderland.lit/")
        with pytest.raises(InvalidJIDError):
            await client.messages.recent(ALICE, with_="bad jid@x")
        with pytest.raises(ValueError):
            await client.messages.recent(ALICE, limit=-1)
        with pytest.raises(TypeError):
            await client.messages.recent(ALICE, limit=True)
    assert server.requests == []


async def test_callers_session_is_left_open_and_closed_client_refuses(server):
    async with aiohttp.ClientSession() as session:
        async with AdminClient(server.url, session=session) as client:
            assert await client.messages.recent(ALICE) == []
        assert not session.closed
        with pytest.raises(ClientClosedError):
            await client.messages.recent(ALICE)
    own = AdminClient(server.url)
    assert await own.messages.recent(ALICE) == []
    session = own._transport._session
    await own.close()
    await own.close()  # idempotent
    assert session is not None and session.closed
    with pytest.raises(ClientClosedError):
        await own.messages.recent(ALICE)


async def test_connection_refused_is_a_transport_error():
    async with FakeMongooseIM() as server:
        url = server.url
    async with AdminClient(url, timeout=5) as client:
        with pytest.raises(TransportError) as info:
            await client.messages.recent(ALICE)
    assert isinstance(info.value.__cause__, aiohttp.ClientError)
    assert f"GET {url}/messages/" in str(info.value)
