"""AdminClient against the fake server over real sockets, on both backends: send, recent,
users, errors.

Every test that takes the ``api`` fixture runs once with REST and once with GraphQL on the
same kind of server (6.5 speaks both) and expects the same records; only the GraphQL-only
fields (``stanza_id``, ``stanza``, ``timestamp_us``) and the wire details differ.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from datetime import datetime, timedelta, timezone

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
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
async def server():
    async with FakeMongooseIM() as srv:
        for jid in (ALICE, RABBIT, HATTER):
            srv.add_user(jid)
        yield srv


def key(message: ArchivedMessage) -> tuple[str, int, str, str | None]:
    """What both backends must report identically."""
    return (message.sender, message.timestamp, message.message_id, message.body)


def check_backend_fields(api: str, messages, stored=None) -> None:
    """REST leaves the GraphQL-only fields empty; GraphQL fills them consistently.

    With ``stored`` (the fake's StoredMessage objects, same order) GraphQL's values must be
    the archive's own.
    """
    if api == "rest":
        assert all(
            m.stanza_id is None and m.stanza is None and m.timestamp_us is None for m in messages
        )
        assert all(m.sent_at == datetime.fromtimestamp(m.timestamp, timezone.utc) for m in messages)
        return
    assert len({m.stanza_id for m in messages}) == len(messages)
    for m in messages:
        assert isinstance(m.stanza, str) and m.stanza.startswith("<message")
        assert m.timestamp == (m.timestamp_us + US // 2) // US  # rounded half up
        assert m.sent_at == EPOCH + timedelta(microseconds=m.timestamp_us)
    if stored is not None:
        assert [m.stanza_id for m in messages] == [e.stanza_id for e in stored]
        assert [m.timestamp_us for m in messages] == [e.time_us for e in stored]
        assert [m.stanza for m in messages] == [e.stanza for e in stored]


async def test_readme_example_sends_and_reads_back(server, api):
    async with AdminClient(server.url, api=api) as client:
        sent = await client.messages.send(Message(caller=ALICE, to=RABBIT, body="Hi"))
        page = await client.messages.recent(ALICE, limit=50)
        rabbit_page = await client.messages.recent(RABBIT, with_=ALICE)
    [stored] = server.archive_of(ALICE)
    assert isinstance(page, MessageList) and len(page) == 1
    message = page[0]
    assert key(message) == (ALICE, stored.timestamp, stored.message_id, "Hi")
    assert len(message.message_id) == 16
    assert abs(message.timestamp - server.clock_us / US) <= 1
    assert rabbit_page == page  # the same record in the recipient's archive
    check_backend_fields(api, page, [stored])
    if api == "rest":
        assert sent is None
    else:
        assert sent == message.message_id  # the stanza id the server reported


async def test_recent_with_filter_before_and_limit(server, api):
    for i in range(30):
        peer = RABBIT if i % 2 else HATTER
        server.add_message(ALICE, peer, at_us=BASE_US + i * US, message_id=f"m{i}")
    async with AdminClient(server.url, api=api) as client:
        with_rabbit = await client.messages.recent(ALICE, with_=RABBIT)
        bounded = await client.messages.recent(ALICE, before=1_700_000_010, limit=3)
        by_datetime = await client.messages.recent(
            ALICE, before=datetime.fromtimestamp(1_700_000_010.9, timezone.utc), limit=3
        )
    assert [m.message_id for m in with_rabbit] == [f"m{i}" for i in range(1, 30, 2)]
    # before is inclusive; the newest `limit` come back, oldest first
    assert [m.message_id for m in bounded] == ["m8", "m9", "m10"]
    # REST floors an aware datetime to the second; GraphQL keeps .9 s: the same records here
    assert by_datetime == bounded
    archive = {e.message_id: e for e in server.archive_of(ALICE)}
    check_backend_fields(api, bounded, [archive[m] for m in ("m8", "m9", "m10")])


async def test_server_cap_and_default_limit(server, api):
    for i in range(120):
        server.add_message(ALICE, RABBIT, at_us=BASE_US + i * US)
    async with AdminClient(server.url, api=api) as client:
        default = await client.messages.recent(ALICE)
        asked = await client.messages.recent(ALICE, limit=100)
        few = await client.messages.recent(ALICE, limit=7)
        none = await client.messages.recent(ALICE, limit=0)
    assert len(default) == len(asked) == 50
    assert default == asked
    assert len(few) == 7 and few == default[-7:]
    assert none == []
    assert default[-1].timestamp == 1_700_000_119
    check_backend_fields(api, default, server.archive_of(ALICE)[-50:])


async def test_before_the_epoch_and_before_the_first_message(server, api):
    server.add_message(RABBIT, ALICE, at_us=BASE_US, message_id="first")
    async with AdminClient(server.url, api=api) as client:
        assert await client.messages.recent(ALICE, before=0) == []
        assert [m async for m in client.messages.history(ALICE, before=0)] == []
        assert await client.messages.recent(ALICE, before=1_699_999_999) == []
        at_first = await client.messages.recent(ALICE, before=1_700_000_000)
    assert [m.message_id for m in at_first] == ["first"]


async def test_records_as_the_server_writes_them(server, api):
    server.add_message(f"{RABBIT}/pocket watch", ALICE, at_us=BASE_US, body=None, message_id="")
    async with AdminClient(server.url, api=api) as client:
        page = await client.messages.recent(ALICE)
    [stored] = server.archive_of(ALICE)
    assert [key(m) for m in page] == [(f"{RABBIT}/pocket watch", 1_700_000_000, "", None)]
    check_backend_fields(api, page, [stored])
    if api == "rest":
        assert page == [ArchivedMessage(f"{RABBIT}/pocket watch", 1_700_000_000, "", None)]
    else:
        assert "<body>" not in page[0].stanza and " id=" not in page[0].stanza


async def test_both_backends_read_the_same_records(server):
    """One archive, read both ways: identical records except the GraphQL-only fields."""
    bodies = ["plain", None, "quotes \"x\" and 'y'", "<b>&amp;</b> & <", "caf\u00e9 \u2615", ""]
    bodies += ["two\nlines", "crlf\r\nend", "tab\there", "  padded  ", "undefined-ish"]
    for i in range(60):
        sender = f"{RABBIT}/r{i % 3}" if i % 2 else ALICE
        recipient = ALICE if i % 2 else (HATTER if i % 5 == 0 else f"{RABBIT}/desk")
        # several messages share a second, some even a microsecond
        at_us = BASE_US + (i // 4) * US + (i % 4) * 300_000 - (i % 3 == 0) * 123
        mid = "" if i % 7 == 0 else ("dup" if i % 5 == 0 else f"id {i}\t<&>")
        server.add_message(
            sender, recipient, at_us=at_us, body=bodies[i % len(bodies)], message_id=mid
        )
    calls = [
        lambda c: c.messages.recent(ALICE),
        lambda c: c.messages.recent(ALICE, limit=17),
        lambda c: c.messages.recent(ALICE, with_=RABBIT),
        lambda c: c.messages.recent(ALICE, with_=HATTER, limit=5),
        lambda c: c.messages.recent(ALICE, before=1_700_000_007),
        lambda c: c.messages.recent(
            ALICE, before=datetime(2023, 11, 14, 22, 13, 27, tzinfo=timezone.utc)
        ),
        lambda c: c.messages.recent(RABBIT, limit=100),
    ]
    async with AdminClient(server.url) as rest, AdminClient(server.url, api="graphql") as gql:
        for call in calls:
            by_rest, by_graphql = await call(rest), await call(gql)
            assert len(by_rest) > 0
            assert [key(m) for m in by_graphql] == [key(m) for m in by_rest]
            check_backend_fields("rest", by_rest)
            check_backend_fields("graphql", by_graphql)


@pytest.mark.parametrize(
    "resource", ["phone/2", "a+b", "100%", "with space", "caf\u00e9 \u2615", "q?x#y"]
)
async def test_full_jids_travel_intact(server, api, resource):
    full = f"{ALICE}/{resource}"
    async with AdminClient(server.url, api=api) as client:
        await client.messages.send(Message(caller=full, to=RABBIT, body="x"))
        page = await client.messages.recent(RABBIT, with_=full)
        owner_full = await client.messages.recent(full)  # reads the bare owner's archive
    assert [m.sender for m in page] == [full]
    assert [m.sender for m in owner_full] == [full]
    last = server.requests[-1]
    if api == "rest":
        assert last.segments[-1] == full  # one percent-encoded segment
    else:
        assert last.segments == ("api", "graphql")
        assert last.json["variables"] == {"caller": full}


async def test_auth_accepted_and_refused(api):
    password = "s3cr3t-Pa55"
    async with FakeMongooseIM(auth=("admin", password)) as server:
        server.add_user(ALICE)
        async with AdminClient(server.url, auth=("admin", password), api=api) as good:
            assert await good.messages.recent(ALICE) == []
        with warnings.catch_warnings():  # aiohttp 3.14 deprecates BasicAuth; still accepted
            warnings.simplefilter("ignore", DeprecationWarning)
            wrong = aiohttp.BasicAuth("admin", "Wr0ng-Pa55")
        async with AdminClient(server.url, auth=wrong, api=api) as bad:
            with pytest.raises(UnauthorizedError) as info:
                await bad.messages.recent(ALICE)
        async with AdminClient(server.url, api=api) as none:
            with pytest.raises(UnauthorizedError) as info_none:
                await none.messages.recent(ALICE)
    assert info.value.status == info_none.value.status == 401
    assert "Wr0ng-Pa55" not in str(info.value) and password not in str(info.value)
    if api == "graphql":
        assert info.value.code == "wrong_credentials"
        assert info_none.value.code == "no_permissions"
    else:
        assert info.value.code is None


async def test_credentials_sent_to_a_server_without_any_are_refused(server, api):
    async with AdminClient(server.url, auth=("admin", "secret"), api=api) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.messages.recent(ALICE)
    assert info.value.status == 401
    assert info.value.code == (None if api == "rest" else "wrong_credentials")


@pytest.mark.parametrize(
    ("call", "text", "rest_status", "graphql_code"),
    [
        (
            lambda c: c.messages.recent("nobody@wonderland.lit"),
            "User does not exist",
            400,
            "unknown_user",
        ),
        (
            lambda c: c.messages.recent("alice@nowhere.lit"),
            "User's domain does not exist",
            400,
            "unknown_user",
        ),
        (
            lambda c: c.messages.send(Message(caller="ghost@wonderland.lit", to=ALICE, body="b")),
            "User does not exist",
            400,
            "unknown_user",
        ),
        # 6.5 REST answers 200 with the character codes of the text; still an error for us
        (lambda c: c.users.list("nowhere.lit"), "Domain does not exist", 200, "domain_not_found"),
    ],
)
async def test_errors_carry_the_servers_text(server, api, call, text, rest_status, graphql_code):
    async with AdminClient(server.url, api=api) as client:
        with pytest.raises(BadRequestError) as info:
            await call(client)
    assert info.value.message == text
    if api == "rest":
        assert (info.value.status, info.value.code) == (rest_status, None)
    else:
        # GraphQL reports a resolver's failure in a 200 answer, with a code
        assert (info.value.status, info.value.code) == (200, graphql_code)
    assert server.archive_of(ALICE) == []


async def test_users_of_a_domain(server, api):
    server.add_user("Dormouse@Wonderland.lit")
    server.add_domain("empty.lit")
    async with AdminClient(server.url, api=api) as client:
        assert await client.users.list("wonderland.lit") == sorted(
            [ALICE, RABBIT, HATTER, "dormouse@wonderland.lit"]
        )
        assert await client.users.list("empty.lit") == []


async def test_host_header_mismatch_explains_itself_and_host_header_fixes_it(api):
    async with FakeMongooseIM(host="localhost") as server:
        server.add_user(ALICE)
        async with AdminClient(server.url, api=api) as client:
            with pytest.raises(BadRequestError) as info:
                await client.messages.recent(ALICE)
        async with AdminClient(server.url, host_header="localhost", api=api) as client:
            assert await client.messages.recent(ALICE) == []
    assert info.value.message == ""
    assert "host_header='localhost'" in str(info.value)


async def test_version_37_plain_text_errors():  # REST only: 3.7 has no GraphQL
    async with FakeMongooseIM(version="3.7") as server:
        server.add_user(ALICE)
        async with AdminClient(server.url) as client:
            with pytest.raises(ServerError) as info:
                await client.messages.recent(ALICE, limit=501)
            # 3.7's plain-text 404 (its answer to GET /messages without an owner, which no
            # public call sends): served for a read, it maps to NotFoundError with its text.
            async with aiohttp.ClientSession() as raw:
                async with raw.get(f"{server.url}/messages") as resp:
                    missing_owner = (resp.status, resp.content_type, await resp.read())
            assert missing_owner == (404, "text/plain", b"Missing owner JID")
            server.fail_next(status=404, body="Missing owner JID")  # in 3.7's format
            with pytest.raises(NotFoundError) as not_found:
                await client.messages.recent(ALICE)
            assert (server.requests[-1].fault, server.requests[-1].status) == ("fail", 404)
        async with AdminClient(server.url, api="graphql") as client:
            with pytest.raises(NotFoundError):  # /api/graphql is no route on 3.7
                await client.messages.recent(ALICE)
    assert info.value.status == 500
    assert (not_found.value.status, not_found.value.message) == (404, "Missing owner JID")


async def test_invalid_input_never_reaches_the_server(server, api):
    async with AdminClient(server.url, api=api) as client:
        with pytest.raises(InvalidJIDError):
            await client.messages.recent("alice@wonderland.lit/")
        with pytest.raises(InvalidJIDError):
            await client.messages.recent(ALICE, with_="bad jid@x")
        with pytest.raises(ValueError):
            await client.messages.recent(ALICE, limit=-1)
        with pytest.raises(TypeError):
            await client.messages.recent(ALICE, limit=True)
        with pytest.raises(InvalidJIDError):
            await client.users.list("alice@wonderland.lit")
        with pytest.raises(ValueError):
            await client.messages.recent(ALICE, before=datetime(2024, 1, 1))  # naive
    assert server.requests == []


async def test_callers_session_is_left_open_and_closed_client_refuses(
    server, api, unclosed_reports
):
    async with aiohttp.ClientSession() as session:
        async with AdminClient(server.url, session=session, api=api) as client:
            assert await client.messages.recent(ALICE) == []
        assert not session.closed
        with pytest.raises(ClientClosedError):
            await client.messages.recent(ALICE)
    # The session the client creates on first use is closed by close(): once the client is
    # dropped, aiohttp has no unclosed session (nor connector) to report...
    async with unclosed_reports() as reports:
        own = AdminClient(server.url, api=api)
        assert await own.messages.recent(ALICE) == []
        await own.close()
        await own.close()  # idempotent
        assert own.closed
        with pytest.raises(ClientClosedError):
            await own.messages.recent(ALICE)
        del own
    assert reports == []
    # ...and neither when a client is used and dropped without close(): its session is held
    # by an async generator, which the loop closes (closing the session) once collected.
    async with unclosed_reports() as reports:
        leaky = AdminClient(server.url, api=api)
        assert await leaky.messages.recent(ALICE) == []
        del leaky
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)  # the loop runs the generator's clean-up
    assert reports == []


async def test_connection_refused_is_a_transport_error(api):
    async with FakeMongooseIM() as server:
        url = server.url
    async with AdminClient(url, timeout=5, api=api) as client:
        with pytest.raises(TransportError) as info:
            await client.messages.recent(ALICE)
    assert isinstance(info.value.__cause__, aiohttp.ClientError)
    expected = f"GET {url}/messages/" if api == "rest" else f"POST {url}/graphql "
    assert expected in str(info.value)
