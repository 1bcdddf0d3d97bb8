"""What AdminClient puts on the wire and how it reads the answers (aioresponses, no network).

aioresponses matches the whole URL, query included, and yarl decodes ``%40`` back to ``@``
in a *string* URL; so every expected URL here is built with ``URL(..., encoded=True)``, and
the recorded request (``mocked.requests``) is checked for the exact path and query.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from aiomongoose import (
    AdminClient,
    ApiError,
    ArchivedMessage,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    InvalidArgumentError,
    InvalidJIDError,
    Message,
    MessageList,
    NotFoundError,
    ProtocolError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from aiomongoose.client import DEFAULT_TIMEOUT

BASE = "http://localhost:8088/api"
ALICE = "alice@wonderland.lit"
ALICE_Q = "alice%40wonderland.lit"
BOB = "bob@wonderland.lit"
BOB_Q = "bob%40wonderland.lit"
RECORD = {"sender": ALICE, "timestamp": 1700000000, "message_id": "m1", "body": "Hi"}


def enc(path_and_query: str, base: str = BASE) -> URL:
    """The exact URL the client must request (already percent-encoded)."""
    return URL(base + path_and_query, encoded=True)


def only_request(mocked: aioresponses):
    """The single request recorded: (method, url, kwargs)."""
    assert len(mocked.requests) == 1, list(mocked.requests)
    ((method, url), calls) = next(iter(mocked.requests.items()))
    assert len(calls) == 1
    return method, url, calls[0].kwargs


def basic(user: str, password: str) -> str:
    """The Authorization header MongooseIM expects (credentials as UTF-8, RFC 7617)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sent_authorization(kwargs) -> str | None:
    """The Authorization header aiohttp would send for a recorded request, however it is given."""
    headers = kwargs.get("headers") or {}
    if "Authorization" in headers:
        return headers["Authorization"]
    auth = kwargs.get("auth")
    return None if auth is None else auth.encode()


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL that refuses every connection at once (no network, no server).

    The tests of session ownership use it instead of aioresponses, whose mock keeps every
    session it served alive, so that a dropped client's session is really collected.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: the port is ours and refuses
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api"


UNCLOSED_SESSION = ["ResourceWarning: Unclosed client session", "handler: Unclosed client session"]


# aiohttp 3.14 deprecates BasicAuth; see test_auth_emits_no_deprecation_warning.
ignore_basicauth_deprecation = pytest.mark.filterwarnings(
    "ignore:BasicAuth is deprecated:DeprecationWarning"
)


@pytest.fixture
async def client():
    c = AdminClient(BASE)
    yield c
    await c.close()


@pytest.fixture
async def client_once():
    """A client that tries each request once: these tests mock a single failing answer."""
    c = AdminClient(BASE, retry=None)
    yield c
    await c.close()


# --- send --------------------------------------------------------------------------------


async def test_send_request(mocked, client):
    mocked.post(enc("/messages"), status=204)
    result = await client.messages.send(Message(ALICE, "bob@wonderland.lit/phone/2", "Hi é"))
    assert result is None
    method, url, kwargs = only_request(mocked)
    assert method == "POST"
    assert str(url) == BASE + "/messages"
    assert url.raw_query_string == ""
    assert json.loads(kwargs["data"]) == {
        "caller": ALICE,
        "to": "bob@wonderland.lit/phone/2",
        "body": "Hi é",
    }
    assert list(json.loads(kwargs["data"])) == ["caller", "to", "body"]
    assert kwargs["headers"] == {"Content-Type": "application/json"}
    assert sent_authorization(kwargs) is None
    assert kwargs["allow_redirects"] is False
    assert kwargs["timeout"] == DEFAULT_TIMEOUT


@ignore_basicauth_deprecation
async def test_send_with_host_header_and_auth(mocked):
    mocked.post(enc("/messages"), status=204)
    async with AdminClient(BASE, auth=("admin", "secret"), host_header="localhost") as c:
        await c.messages.send(Message(ALICE, BOB, "x"))
    _, _, kwargs = only_request(mocked)
    assert kwargs["headers"]["Host"] == "localhost"
    assert kwargs["headers"]["Content-Type"] == "application/json"
    assert set(kwargs["headers"]) <= {"Host", "Content-Type", "Authorization"}
    assert sent_authorization(kwargs) == basic("admin", "secret")


async def test_send_per_call_timeout(mocked, client):
    mocked.post(enc("/messages"), status=204)
    await client.messages.send(Message(ALICE, BOB, "x"), timeout=2.5)
    _, _, kwargs = only_request(mocked)
    assert kwargs["timeout"] == aiohttp.ClientTimeout(total=2.5)


# --- recent ------------------------------------------------------------------------------


async def test_recent_without_arguments(mocked, client):
    mocked.get(enc(f"/messages/{ALICE_Q}"), status=200, body=json.dumps([RECORD]))
    result = await client.messages.recent(ALICE)
    assert type(result) is MessageList
    assert result == [ArchivedMessage(ALICE, 1700000000, "m1", "Hi")]
    method, url, kwargs = only_request(mocked)
    assert method == "GET"
    assert str(url) == f"{BASE}/messages/{ALICE_Q}"
    assert url.raw_path == f"/api/messages/{ALICE_Q}"
    assert url.query == {}
    assert kwargs["headers"] == {}
    assert kwargs.get("data") is None
    assert sent_authorization(kwargs) is None
    assert kwargs["allow_redirects"] is False


async def test_recent_with_peer_before_and_limit(mocked, client):
    mocked.get(enc(f"/messages/{ALICE_Q}/{BOB_Q}?before=1700000000&limit=5"), body="[]")
    result = await client.messages.recent(ALICE, BOB, before=1700000000, limit=5)
    assert result == MessageList()
    _, url, _ = only_request(mocked)
    assert url.raw_path == f"/api/messages/{ALICE_Q}/{BOB_Q}"
    assert dict(url.query) == {"before": "1700000000", "limit": "5"}


async def test_recent_with_keyword_with(mocked, client):
    mocked.get(enc(f"/messages/{ALICE_Q}/{BOB_Q}"), body="[]")
    await client.messages.recent(ALICE, with_=BOB)
    _, url, _ = only_request(mocked)
    assert url.raw_path == f"/api/messages/{ALICE_Q}/{BOB_Q}"
    assert "with" not in url.query and "with_" not in url.query


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [
        ({"before": 0}, "before=0"),
        ({"limit": 0}, "limit=0"),
        ({"limit": 500}, "limit=500"),
        ({"before": 1700000000}, "before=1700000000"),
        ({"before": datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)}, "before=1700000000"),
        (
            {"before": datetime(2023, 11, 14, 22, 13, 20, 999999, tzinfo=timezone.utc)},
            "before=1700000000",
        ),
        (
            {
                "before": datetime(
                    2023, 11, 14, 23, 13, 20, 500000, tzinfo=timezone(timedelta(hours=1))
                )
            },
            "before=1700000000",
        ),
        (
            {"before": datetime(2023, 11, 14, 17, 13, 21, 1, tzinfo=timezone(timedelta(hours=-5)))},
            "before=1700000001",
        ),
    ],
)
async def test_recent_query(mocked, client, kwargs, query):
    mocked.get(enc(f"/messages/{ALICE_Q}?{query}"), body="[]")
    await client.messages.recent(ALICE, **kwargs)
    _, url, _ = only_request(mocked)
    assert url.raw_query_string == query


async def test_recent_sends_only_documented_query_keys(mocked, client):
    mocked.get(re.compile(r".*"), body="[]", repeat=True)
    await client.messages.recent(ALICE, BOB, before=5, limit=10)
    await client.messages.recent(ALICE)
    for (_, url), _calls in mocked.requests.items():
        assert set(url.query) <= {"before", "limit"}


@pytest.mark.parametrize(
    ("owner", "segment"),
    [
        ("alice@wonderland.lit/phone/2", "alice%40wonderland.lit%2Fphone%2F2"),
        ("bob+tag@example.com", "bob%2Btag%40example.com"),
        ("100%@example.com", "100%25%40example.com"),
        ("x@example.com/my phone", "x%40example.com%2Fmy%20phone"),
        ("jürgen@müller.de", "j%C3%BCrgen%40m%C3%BCller.de"),
        ("日本@例え.jp", "%E6%97%A5%E6%9C%AC%40%E4%BE%8B%E3%81%88.jp"),
        ("a@b/what?#x;y=1&z", "a%40b%2Fwhat%3F%23x%3By%3D1%26z"),
        ("example.com", "example.com"),
        ("a-b_c.d~e@x", "a-b_c.d~e%40x"),
    ],
)
async def test_jid_is_quoted_as_one_segment(mocked, client, owner, segment):
    mocked.get(enc(f"/messages/{segment}/{segment}?limit=1"), body="[]")
    await client.messages.recent(owner, owner, limit=1)
    _, url, _ = only_request(mocked)
    assert url.raw_path == f"/api/messages/{segment}/{segment}"
    assert url.raw_path.count("/") == 4
    assert url.raw_query_string == "limit=1"


# --- users -------------------------------------------------------------------------------


async def test_users_list(mocked, client):
    mocked.get(enc("/users/wonderland.lit"), body=json.dumps([ALICE, BOB]))
    assert await client.users.list("wonderland.lit") == [ALICE, BOB]
    method, url, kwargs = only_request(mocked)
    assert method == "GET"
    assert str(url) == BASE + "/users/wonderland.lit"
    assert kwargs["headers"] == {}


async def test_users_list_empty(mocked, client):
    mocked.get(enc("/users/wonderland.lit"), body="[]")
    assert await client.users.list("wonderland.lit") == []


async def test_users_list_unknown_domain_quirk(mocked, client):
    codes = [ord(ch) for ch in "Domain does not exist"]
    mocked.get(enc("/users/nowhere.lit"), status=200, body=json.dumps(codes))
    with pytest.raises(BadRequestError) as info:
        await client.users.list("nowhere.lit")
    exc = info.value
    assert exc.message == "Domain does not exist"
    assert exc.status == 200  # what the server really answered
    assert exc.method == "GET"
    assert exc.url == BASE + "/users/nowhere.lit"


@pytest.mark.parametrize(
    "body",
    [
        '{"users": []}',
        '[1, "a@b"]',
        '"Domain does not exist"',
        "null",
        "[true]",
        "[null]",
        "[[]]",
        "[1.5]",
        "not json",
        "",
    ],
)
async def test_users_list_other_shapes_are_protocol_errors(mocked, client, body):
    mocked.get(enc("/users/wonderland.lit"), status=200, body=body)
    with pytest.raises(ProtocolError) as info:
        await client.users.list("wonderland.lit")
    assert info.value.status == 200


async def test_users_list_error_status(mocked, client):
    mocked.get(enc("/users/wonderland.lit"), status=404, body='"Domain not found"')
    with pytest.raises(NotFoundError, match="Domain not found"):
        await client.users.list("wonderland.lit")


@pytest.mark.parametrize("domain", ["", "a@wonderland.lit", "wonderland.lit/r", "a b", None, 5])
async def test_users_list_bad_domain_makes_no_request(mocked, client, domain):
    with pytest.raises(InvalidJIDError):
        await client.users.list(domain)
    assert mocked.requests == {}


# --- auth and headers ---------------------------------------------------------------------


@ignore_basicauth_deprecation
@pytest.mark.parametrize("kind", ["tuple", "BasicAuth"])
async def test_basic_auth_sent(mocked, kind):
    password = "s3cr3t:with colon"
    auth = ("admin", password) if kind == "tuple" else aiohttp.BasicAuth("admin", password)
    mocked.get(enc(f"/messages/{ALICE_Q}"), body="[]")
    async with AdminClient(BASE, auth=auth) as c:
        await c.messages.recent(ALICE)
    _, _, kwargs = only_request(mocked)
    assert sent_authorization(kwargs) == "Basic YWRtaW46czNjcjN0OndpdGggY29sb24="
    assert sent_authorization(kwargs) == basic("admin", password)


async def test_no_auth_when_none_given(mocked, client):
    mocked.get(enc(f"/messages/{ALICE_Q}"), body="[]")
    await client.messages.recent(ALICE)
    _, _, kwargs = only_request(mocked)
    assert sent_authorization(kwargs) is None
    assert "Authorization" not in kwargs["headers"]


def test_auth_emits_no_deprecation_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AdminClient(BASE, auth=("admin", "pw"))
        AdminClient("http://admin:pw@localhost:8088/api")


@ignore_basicauth_deprecation
@pytest.mark.parametrize("password", ["pässwörd", "пароль"])
async def test_non_ascii_password_sent_as_utf8(mocked, password):
    mocked.get(enc(f"/messages/{ALICE_Q}"), body="[]")
    async with AdminClient(BASE, auth=("admin", password)) as c:
        await c.messages.recent(ALICE)
    _, _, kwargs = only_request(mocked)
    assert sent_authorization(kwargs) == basic("admin", password)


async def test_host_header_on_get(mocked):
    mocked.get(enc(f"/messages/{ALICE_Q}", "http://127.0.0.1:8088/api"), body="[]")
    async with AdminClient("http://127.0.0.1:8088/api", host_header="localhost") as c:
        await c.messages.recent(ALICE)
    _, url, kwargs = only_request(mocked)
    assert url.host == "127.0.0.1"
    assert kwargs["headers"] == {"Host": "localhost"}


async def test_client_timeout_and_per_call_timeout(mocked):
    mocked.get(re.compile(r".*"), body="[]", repeat=True)
    async with AdminClient(BASE, timeout=7) as c:
        await c.messages.recent(ALICE)
        await c.messages.recent(BOB, timeout=aiohttp.ClientTimeout(total=1, connect=0.5))
    calls = {url.raw_path: calls[0].kwargs for (_, url), calls in mocked.requests.items()}
    assert calls[f"/api/messages/{ALICE_Q}"]["timeout"] == aiohttp.ClientTimeout(total=7)
    assert calls[f"/api/messages/{BOB_Q}"]["timeout"] == aiohttp.ClientTimeout(total=1, connect=0.5)


async def test_base_url_trailing_slash_and_path(mocked):
    mocked.get(enc(f"/messages/{ALICE_Q}", "https://xmpp.example.com:9443/admin/api"), body="[]")
    async with AdminClient("https://xmpp.example.com:9443/admin/api/") as c:
        assert c.base_url == "https://xmpp.example.com:9443/admin/api"
        await c.messages.recent(ALICE)
    _, url, _ = only_request(mocked)
    assert str(url) == f"https://xmpp.example.com:9443/admin/api/messages/{ALICE_Q}"


# --- error mapping -------------------------------------------------------------------------

ERRORS = [
    (400, '"Invalid limit"', BadRequestError, "Invalid limit"),
    (400, "Invalid owner JID", BadRequestError, "Invalid owner JID"),
    (400, "", BadRequestError, ""),
    (401, "", UnauthorizedError, ""),
    (403, '"Denied"', ForbiddenError, "Denied"),
    (404, '"Missing owner JID"', NotFoundError, "Missing owner JID"),
    (404, "", NotFoundError, ""),
    (409, '"Duplicate"', ConflictError, "Duplicate"),
    (415, "", ApiError, ""),
    (418, "I'm a teapot", ApiError, "I'm a teapot"),
    (500, "Internal Server Error", ServerError, "Internal Server Error"),
    (502, "<html>bad gateway</html>", ServerError, "<html>bad gateway</html>"),
    (503, '"User\'s domain does not exist"', ServerError, "User's domain does not exist"),
]


@pytest.mark.parametrize(("status", "body", "cls", "message"), ERRORS)
async def test_error_mapping_get(mocked, client_once, status, body, cls, message):
    mocked.get(enc(f"/messages/{ALICE_Q}/{BOB_Q}?limit=5"), status=status, body=body)
    with pytest.raises(cls) as info:
        await client_once.messages.recent(ALICE, BOB, limit=5)
    exc = info.value
    assert type(exc) is cls
    assert exc.status == status
    assert exc.message == message
    assert exc.method == "GET"
    assert exc.url == f"{BASE}/messages/{ALICE_Q}/{BOB_Q}"  # without the query
    assert exc.location is None
    assert ("Host header" in str(exc)) == (status in (400, 404) and body == "")
    assert len(mocked.requests) == 1


@pytest.mark.parametrize(("status", "body", "cls", "message"), ERRORS)
async def test_error_mapping_post(mocked, client, status, body, cls, message):
    mocked.post(enc("/messages"), status=status, body=body)
    with pytest.raises(cls) as info:
        await client.messages.send(Message(ALICE, BOB, "x"))
    exc = info.value
    assert type(exc) is cls
    assert (exc.status, exc.message, exc.method, exc.url) == (
        status,
        message,
        "POST",
        BASE + "/messages",
    )


@ignore_basicauth_deprecation
async def test_401_with_www_authenticate(mocked):
    mocked.get(
        enc(f"/messages/{ALICE_Q}"),
        status=401,
        body="",
        headers={"WWW-Authenticate": 'Basic realm="mongooseim"'},
    )
    async with AdminClient(BASE, auth=("admin", "wrong")) as c:
        with pytest.raises(UnauthorizedError) as info:
            await c.messages.recent(ALICE)
    assert info.value.status == 401
    assert "wrong" not in str(info.value)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_not_followed(mocked, client, status):
    mocked.get(
        enc(f"/messages/{ALICE_Q}"),
        status=status,
        headers={"Location": "http://elsewhere.example/api/messages"},
    )
    mocked.get("http://elsewhere.example/api/messages", body="[]")
    with pytest.raises(ApiError) as info:
        await client.messages.recent(ALICE)
    exc = info.value
    assert type(exc) is ApiError
    assert exc.status == status
    assert exc.location == "http://elsewhere.example/api/messages"
    assert "not followed" in str(exc)
    method, url, kwargs = only_request(mocked)
    assert kwargs["allow_redirects"] is False
    assert url.host == "localhost"


@pytest.mark.parametrize(
    "exception",
    [
        asyncio.TimeoutError(),
        aiohttp.ClientConnectionError(),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("truncated"),
        aiohttp.ServerTimeoutError("read timeout"),
    ],
    ids=["timeout", "connection", "disconnected", "payload", "server-timeout"],
)
async def test_transport_errors_are_wrapped(mocked, client_once, exception):
    mocked.get(enc(f"/messages/{ALICE_Q}?limit=3"), exception=exception)
    with pytest.raises(TransportError) as info:
        await client_once.messages.recent(ALICE, limit=3)
    assert info.value.__cause__ is exception
    text = str(info.value)
    assert text.startswith(f"GET {BASE}/messages/{ALICE_Q} ")
    assert "limit=3" not in text


async def test_timeout_message(mocked, client):
    mocked.post(enc("/messages"), exception=asyncio.TimeoutError())
    with pytest.raises(
        TransportError, match=r"^POST http://localhost:8088/api/messages timed out$"
    ):
        await client.messages.send(Message(ALICE, BOB, "x"))


@pytest.mark.parametrize(
    "body",
    ['{"sender": "a@b"}', "not json", "", '[{"sender": null, "timestamp": true}]', '"[]"'],
)
async def test_malformed_200_is_protocol_error(mocked, client, body):
    mocked.get(enc(f"/messages/{ALICE_Q}"), status=200, body=body)
    with pytest.raises(ProtocolError) as info:
        await client.messages.recent(ALICE)
    assert info.value.status == 200
    assert info.value.excerpt == body


async def test_json_content_type_not_required(mocked, client):
    """6.x sends bodies without Content-Type: the client must parse the bytes itself."""
    mocked.get(
        enc(f"/messages/{ALICE_Q}"),
        status=200,
        body=json.dumps([RECORD]),
        content_type="text/plain",
    )
    assert len(await client.messages.recent(ALICE)) == 1


# --- bad input: raised before any request ----------------------------------------------------

BAD_JIDS = ["", "@wonderland.lit", "alice@", "al ice@w.lit", "a@b/", "a\x00@b", None, 42]
NAIVE = datetime(2023, 11, 14, 22, 13, 20)


@pytest.mark.parametrize("jid", BAD_JIDS)
async def test_recent_bad_owner(mocked, client, jid):
    with pytest.raises(InvalidJIDError):
        await client.messages.recent(jid)
    assert mocked.requests == {}


@pytest.mark.parametrize("jid", [j for j in BAD_JIDS if j is not None])  # None: no peer
async def test_recent_bad_with(mocked, client, jid):
    with pytest.raises(InvalidJIDError):
        await client.messages.recent(ALICE, jid)
    assert mocked.requests == {}


@pytest.mark.parametrize("jid", BAD_JIDS)
async def test_send_bad_caller_or_to(mocked, client, jid):
    with pytest.raises(InvalidJIDError):
        await client.messages.send(Message(jid, BOB, "x"))
    with pytest.raises(InvalidJIDError):
        await client.messages.send(Message(ALICE, jid, "x"))
    assert mocked.requests == {}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"before": NAIVE}, "aware"),
        ({"before": -1}, "negative"),
        ({"before": True}, "before"),
        ({"before": "1700000000"}, "before"),
        ({"before": 1700000000.5}, "before"),
        ({"limit": -1}, "negative"),
        ({"limit": True}, "limit"),
        ({"limit": False}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"limit": 5.0}, "limit"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
    ],
)
async def test_recent_bad_arguments(mocked, client, kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        await client.messages.recent(ALICE, **kwargs)
    assert mocked.requests == {}


async def test_recent_pre_epoch_datetime_rejected_like_negative_int(mocked, client):
    mocked.get(re.compile(r".*"), body="[]")
    with pytest.raises(InvalidArgumentError, match="negative"):
        await client.messages.recent(
            ALICE, before=datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
        )
    assert mocked.requests == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page_size": 0},
        {"page_size": -1},
        {"page_size": True},
        {"page_size": "10"},
        {"before": NAIVE},
        {"before": -5},
        {"on_stall": "ignore"},
        {"timeout": 0},
    ],
)
async def test_history_bad_arguments_raise_at_call(mocked, client, kwargs):
    with pytest.raises(InvalidArgumentError):
        client.messages.history(ALICE, **kwargs)
    assert mocked.requests == {}


@pytest.mark.parametrize("jid", ["", "a@", None])
async def test_history_bad_jid_raises_at_call(mocked, client, jid):
    with pytest.raises(InvalidJIDError):
        client.messages.history(jid)
    with pytest.raises(InvalidJIDError):
        client.messages.history(ALICE, jid or "@x")
    assert mocked.requests == {}


@pytest.mark.parametrize(
    "message",
    [None, {"caller": ALICE, "to": BOB, "body": "x"}, (ALICE, BOB, "x"), "hello"],
)
async def test_send_non_message(mocked, client, message):
    with pytest.raises(InvalidArgumentError, match="Message"):
        await client.messages.send(message)
    assert mocked.requests == {}


@pytest.mark.parametrize("timeout", [0, -2.5, "1", True, float("nan"), [1]])
async def test_send_bad_timeout(mocked, client, timeout):
    with pytest.raises(InvalidArgumentError, match="timeout"):
        await client.messages.send(Message(ALICE, BOB, "x"), timeout=timeout)
    assert mocked.requests == {}


# --- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        "localhost:8088/api",
        "/api",
        "ftp://localhost/api",
        "ws://localhost:8088/api",
        "http://",
        "http:///api",
        "http://localhost:8088/api?x=1",
        "http://localhost:8088/api#top",
        None,
        123,
        b"http://localhost:8088/api",
        URL("http://localhost:8088/api"),
    ],
)
def test_invalid_base_url(base_url):
    with pytest.raises(InvalidArgumentError):
        AdminClient(base_url)


@pytest.mark.parametrize(
    "base_url",
    ["http://[::1/api", "http://localhost:99999/api", "http://localhost:port/api"],
)
def test_unparsable_base_url_raises_invalid_argument_error(base_url):
    with pytest.raises(InvalidArgumentError):
        AdminClient(base_url)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth": ("admin",)},
        {"auth": ("admin", "pw", "x")},
        {"auth": ["admin", "pw"]},
        {"auth": ("admin", 5)},
        {"auth": ("ad:min", "pw")},
        {"auth": "admin:pw"},
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": "10"},
        {"timeout": True},
        {"host_header": ""},
        {"host_header": 5},
        {"max_connections": 0},
        {"max_connections": True},
        {"max_connections": 1.5},
        {"session": "not a session"},
    ],
)
def test_invalid_constructor_arguments(kwargs):
    with pytest.raises(InvalidArgumentError):
        AdminClient(BASE, **kwargs)


def test_credentials_in_base_url_and_auth_both_rejected():
    with pytest.raises(InvalidArgumentError, match="not both"):
        AdminClient("http://admin:pw@localhost:8088/api", auth=("admin", "pw"))


def test_construction_outside_a_loop_creates_no_session(refused_url, unclosed_reports):
    # filterwarnings=error: aiohttp would warn here if it made a session outside a loop
    clients = [AdminClient(refused_url, retry=None), AdminClient(refused_url, retry=None)]
    assert [c.closed for c in clients] == [False, False]

    async def use() -> tuple[list[str], list[str]]:
        async with unclosed_reports() as unused:
            del clients[0]  # dropped unclosed, yet no session to report: none was made
        # The session is made on first use, inside the loop (even for a try that fails):
        # that client, dropped without close(), leaves it open for aiohttp to report.
        async with unclosed_reports() as used:
            with pytest.raises(ConnectionFailedError):
                await clients[0].messages.recent(ALICE)
            del clients[0]
        return unused, used

    loop = asyncio.new_event_loop()  # its own loop, so as not to touch the thread's
    try:
        assert loop.run_until_complete(use()) == ([], UNCLOSED_SESSION)
    finally:
        loop.close()


# --- repr and credentials ---------------------------------------------------------------------


@ignore_basicauth_deprecation
def test_repr_hides_password():
    c = AdminClient(BASE, auth=("admin", "s3cr3t-pw"))
    assert repr(c) == "AdminClient('http://localhost:8088/api', auth=('admin', '***'))"
    assert "s3cr3t" not in repr(c)
    assert repr(AdminClient(BASE)) == "AdminClient('http://localhost:8088/api')"
    c = AdminClient(BASE, auth=aiohttp.BasicAuth("admin", "s3cr3t-pw"))
    assert "s3cr3t" not in repr(c)


@ignore_basicauth_deprecation
async def test_credentials_in_base_url_move_to_auth(mocked):
    mocked.get(enc(f"/messages/{ALICE_Q}"), status=400, body='"Invalid limit"')
    c = AdminClient("http://admin:p%40ss%3Aw0rd@localhost:8088/api/")
    assert c.base_url == BASE
    assert repr(c) == "AdminClient('http://localhost:8088/api', auth=('admin', '***'))"
    assert "w0rd" not in repr(c)
    with pytest.raises(BadRequestError) as info:
        await c.messages.recent(ALICE)
    await c.close()
    _, url, kwargs = only_request(mocked)
    assert url.user is None and url.password is None
    assert sent_authorization(kwargs) == basic("admin", "p@ss:w0rd")
    assert "w0rd" not in str(info.value)
    assert "w0rd" not in info.value.url
    assert "w0rd" not in repr(c)
    assert repr(c).endswith(", closed)")


@ignore_basicauth_deprecation
async def test_user_only_in_base_url(mocked):
    mocked.get(enc(f"/messages/{ALICE_Q}"), body="[]")
    async with AdminClient("http://admin@localhost:8088/api") as c:
        assert c.base_url == BASE
        await c.messages.recent(ALICE)
    _, url, kwargs = only_request(mocked)
    assert url.user is None
    assert sent_authorization(kwargs) == basic("admin", "")


@ignore_basicauth_deprecation
def test_not_picklable():
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(AdminClient(BASE, auth=("admin", "pw")))


# --- session ownership ----------------------------------------------------------------------


async def test_callers_session_stays_open(mocked):
    mocked.get(enc(f"/messages/{ALICE_Q}"), body="[]")
    async with aiohttp.ClientSession() as session:
        async with AdminClient(BASE, session=session) as c:
            await c.messages.recent(ALICE)
        assert c.closed
        assert not session.closed
        await c.close()
        assert not session.closed
    assert len(mocked.requests) == 1


async def test_callers_session_closed_by_caller_raises_client_closed(mocked):
    session = aiohttp.ClientSession()
    await session.close()
    c = AdminClient(BASE, session=session)
    with pytest.raises(ClientClosedError):
        await c.messages.recent(ALICE)
    await c.close()
    assert mocked.requests == {}


async def test_owned_session_closed_by_close(refused_url, unclosed_reports):
    # A used client holds an open session of its own (made for its first try, which the
    # refusing port makes fail): dropped without close(), aiohttp reports it unclosed...
    async with unclosed_reports() as reports:
        leaky = AdminClient(refused_url, retry=None)
        with pytest.raises(ConnectionFailedError):
            await leaky.messages.recent(ALICE)
        assert not leaky.closed
        del leaky
    assert reports == UNCLOSED_SESSION
    # ...and close() is what closes it: nothing to report once the client is dropped.
    async with unclosed_reports() as reports:
        c = AdminClient(refused_url, retry=None)
        with pytest.raises(ConnectionFailedError):
            await c.messages.recent(ALICE)
        await c.close()
        assert c.closed
        await c.close()  # idempotent
        assert c.closed
        del c
    assert reports == []


async def test_async_with_closes_owned_session(refused_url, unclosed_reports):
    # (test_owned_session_closed_by_close shows that an open session would be reported)
    async with unclosed_reports() as reports:
        async with AdminClient(refused_url, retry=None) as c:
            with pytest.raises(ConnectionFailedError):
                await c.messages.recent(ALICE)
            assert not c.closed
        assert c.closed
        del c
    assert reports == []


async def test_close_before_any_request():
    c = AdminClient(BASE)
    await c.close()
    await c.close()
    assert c.closed


async def test_closed_client_raises_and_sends_nothing(mocked):
    c = AdminClient(BASE)
    await c.close()
    with pytest.raises(ClientClosedError):
        await c.messages.recent(ALICE)
    with pytest.raises(ClientClosedError):
        await c.messages.send(Message(ALICE, BOB, "x"))
    with pytest.raises(ClientClosedError):
        await c.users.list("wonderland.lit")
    with pytest.raises(RuntimeError):
        await c.messages.recent(ALICE)
    assert mocked.requests == {}


async def test_resources_are_cached(client):
    assert client.messages is client.messages
    assert client.users is client.users


async def test_callers_raise_for_status_session_keeps_error_mapping(mocked):
    mocked.get(enc(f"/messages/{ALICE_Q}"), status=400, body='"Invalid limit"')
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        async with AdminClient(BASE, session=session) as c:
            with pytest.raises(BadRequestError):
                await c.messages.recent(ALICE)
