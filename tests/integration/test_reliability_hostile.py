"""Hostile input and hostile answers, over real HTTP to the fake server: every JID, parameter
and body is either sent exactly or rejected before any request; every answer gives a result
or a documented exception."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aiomongoose import (
    AdminClient,
    ApiError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InvalidArgumentError,
    InvalidJIDError,
    Message,
    MessageList,
    NotFoundError,
    ProtocolError,
    ServerError,
    UnauthorizedError,
)
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
SHARED = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Characters that break naive URL or JSON handling, and some that are simply unusual.
TRICKY = st.sampled_from(list("/@%?#&;=+: '\"<>\\\x01\x1f\x7f\x85\u00e9\u200b\u2028\U0001f600\x00"))
PART = st.text(st.one_of(TRICKY, st.characters(exclude_categories=["Cs"])), max_size=12)
JIDS = st.one_of(
    st.builds(lambda loc, d, r: f"{loc}@{d}/{r}", PART, PART, PART),
    st.builds(lambda loc, d: f"{loc}@{d}", PART, PART),
    PART,
    st.text(max_size=30),
)


@pytest.fixture
async def server():
    async with FakeMongooseIM() as srv:
        srv.add_user(ALICE)
        srv.add_user(RABBIT)
        yield srv


@pytest.fixture
async def client(server):
    async with AdminClient(server.url, retry=None) as c:
        yield c


@SHARED
@given(owner=JIDS, peer=st.none() | JIDS)
async def test_jids_are_sent_exactly_or_rejected_unsent(server, client, owner, peer):
    before = len(server.requests)
    try:
        await client.messages.recent(owner, peer, limit=1)
    except InvalidJIDError:
        event("rejected")
        assert len(server.requests) == before
        return
    except ApiError as exc:  # sent; the server may still refuse it
        assert exc.status == 400
    assert len(server.requests) == before + 1
    event("sent")
    want = ("api", "messages", owner) if peer is None else ("api", "messages", owner, peer)
    assert server.requests[-1].segments == want


def _part(exclude: str, max_size: int = 12):
    chars = st.characters(
        exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"], exclude_characters=exclude
    )
    return st.text(chars, min_size=1, max_size=max_size)


VALID_JIDS = st.builds(
    lambda local, domain, resource: f"{local}{domain}{resource}",
    st.none().map(lambda _: "") | _part("\"&'/:<>@").map(lambda p: p + "@"),
    _part("/@").filter(lambda domain: domain not in (".", "..")),  # dot-segments: refused
    st.none().map(lambda _: "")
    | st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1).map(lambda r: "/" + r),
)


@SHARED
@given(owner=VALID_JIDS, peer=VALID_JIDS)
async def test_valid_jids_are_always_sent_whole(server, client, owner, peer):
    before = len(server.requests)
    try:
        await client.messages.recent(owner, peer, limit=1)
    except BadRequestError:
        pass  # an unknown user: the request was still made
    assert len(server.requests) == before + 1
    assert server.requests[-1].segments == ("api", "messages", owner, peer)


async def test_tricky_valid_jids_reach_the_server_intact(server, client):
    jids = [
        "al/ice@wonder?land#x",  # domain-only JID whose resource holds '@?#'
        "a@b/ph one/2?x=1&y=%41",
        "\u00e9mile@caf\u00e9.fr/\U0001f600",
        "x@" + "d" * 1023,
        "x@y/" + "r" * 1023,
        "100%@example.com",
    ]
    for jid in jids:
        with pytest.raises(BadRequestError):  # unknown users, but sent whole
            await client.messages.recent(jid, ALICE)
        assert server.requests[-1].segments == ("api", "messages", jid, ALICE)
    assert len(server.requests) == len(jids)


VALID_LIMIT = st.none() | st.integers(0, 2**63 - 1)
VALID_BEFORE = VALID_LIMIT | st.datetimes(
    min_value=datetime(1970, 1, 2), timezones=st.just(timezone.utc)
)
INVALID_VALUE = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=2**63),
    st.booleans(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.datetimes(),  # naive
    st.datetimes(max_value=datetime(1969, 12, 31), timezones=st.just(timezone.utc)),
    st.lists(st.integers(), max_size=2),
)


@SHARED
@given(before=VALID_BEFORE, limit=VALID_LIMIT)
async def test_valid_parameters_are_sent_exactly(server, client, before, limit):
    count = len(server.requests)
    try:
        await client.messages.recent(ALICE, before=before, limit=limit)
    except ApiError as exc:  # e.g. a before beyond what the server can count
        assert exc.status == 400
    assert len(server.requests) == count + 1
    query = server.requests[-1].query
    if before is None:
        assert "before" not in query
    elif isinstance(before, int):
        assert query["before"] == str(before)
    else:
        assert query["before"] == str(math.floor(before.timestamp()))
    assert query.get("limit") == (None if limit is None else str(limit))
    assert set(query) <= {"before", "limit"}


@SHARED
@given(st.data(), INVALID_VALUE, st.sampled_from(["before", "limit", "both"]))
async def test_invalid_parameters_are_rejected_unsent(server, client, data, bad, where):
    kwargs = {
        "before": bad if where != "limit" else data.draw(VALID_BEFORE),
        "limit": bad if where != "before" else data.draw(VALID_LIMIT),
    }
    with pytest.raises(InvalidArgumentError):
        await client.messages.recent(ALICE, **kwargs)
    if where != "limit":
        with pytest.raises(InvalidArgumentError):
            client.messages.history(ALICE, before=bad)
    assert server.requests == []


@pytest.mark.parametrize("value", [10**5000, 2**63, -(10**5000)], ids=["huge", "2**63", "-huge"])
async def test_enormous_integers_are_rejected_unsent(server, client, value):
    for kwargs in ({"before": value}, {"limit": value}):
        with pytest.raises(InvalidArgumentError):
            await client.messages.recent(ALICE, **kwargs)
    if abs(value) > 2**64:  # too large for a float
        with pytest.raises(InvalidArgumentError):
            await client.messages.recent(ALICE, timeout=value)
    with pytest.raises(InvalidArgumentError):
        client.messages.history(ALICE, page_size=value)
    assert server.requests == []


BODIES = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=200)


@SHARED
@given(body=BODIES)
async def test_any_body_is_sent_and_archived_exactly(server, client, body):
    await client.messages.send(Message(ALICE, RABBIT, body))
    assert json.loads(server.requests[-1].body) == {"caller": ALICE, "to": RABBIT, "body": body}
    assert server.archive_of(ALICE)[-1].body == body


@pytest.mark.parametrize(
    "body",
    [
        "x" * 65_536,
        "\U0001f600" * 16_384,  # 64 KiB of UTF-8 emoji
        "".join(chr(c) for c in range(1, 32)) + "\x7f\u2028\u2029\ufeff\ufffe",
        'he said "hi" \\ </body><body>',
        "",
    ],
    ids=["64k-ascii", "64k-emoji", "controls", "markup", "empty"],
)
async def test_unusual_bodies_round_trip(server, client, body):
    await client.messages.send(Message(ALICE, RABBIT, body))
    page = await client.messages.recent(RABBIT, limit=1)
    assert page[0].body == body


@pytest.mark.parametrize("body", ["a\x00b", "\ud800", b"bytes", 5, None])
async def test_unsendable_bodies_are_rejected_unsent(server, body):
    with pytest.raises(InvalidArgumentError):
        Message(ALICE, RABBIT, body)
    assert server.requests == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
RECORDS = st.lists(
    st.fixed_dictionaries(
        {"sender": JSON | st.just(ALICE), "timestamp": JSON | st.integers(), "message_id": JSON},
        optional={"body": JSON | st.text()},
    ),
    max_size=3,
)
ANSWERS = st.one_of(
    st.binary(max_size=80),
    JSON.map(lambda v: json.dumps(v).encode()),
    RECORDS.map(lambda v: json.dumps(v).encode()),
)


@SHARED
@given(body=ANSWERS)
async def test_any_200_answer_gives_a_result_or_protocol_error(server, client, body):
    server.malformed_next(1, body=body, method="GET")
    try:
        page = await client.messages.recent(ALICE)
    except ProtocolError as exc:
        assert exc.status == 200
    else:
        assert isinstance(page, MessageList)
    server.malformed_next(1, body=body, method="GET")
    try:
        users = await client.users.list("wonderland.lit")
    except (ProtocolError, BadRequestError) as exc:
        assert exc.status == 200
    else:
        assert type(users) is list and all(type(u) is str for u in users)


BY_STATUS = {400: BadRequestError, 401: UnauthorizedError, 403: ForbiddenError}
BY_STATUS |= {404: NotFoundError, 409: ConflictError}


@SHARED
@given(status=st.integers(300, 599).filter(lambda s: s != 304), body=st.binary(max_size=60))
async def test_any_error_answer_gives_the_right_api_error(server, client, status, body):
    server.fail_next(1, status=status, body=body)
    with pytest.raises(ApiError) as info:
        await client.messages.recent(ALICE)
    want = ServerError if status >= 500 else BY_STATUS.get(status, ApiError)
    assert type(info.value) is want
    assert info.value.status == status


HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (HTML, "not valid JSON"),
        (b'"Invalid limit"', "expected a JSON array"),
        (b'[{"sender": "a@b", "timestamp": 17', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'[{"sender": 1, "timestamp": "1", "message_id": "", "body": "x"}]', "malformed"),
        (b'{"sender": "a@b"}', "expected a JSON array"),
        (b"", "not valid JSON"),
    ],
    ids=["html", "json-string", "truncated", "deeply-nested", "wrong-types", "object", "empty"],
)
async def test_hostile_200_answers_are_protocol_errors(server, client, body, reason):
    server.malformed_next(1, body=body)
    with pytest.raises(ProtocolError, match=reason) as info:
        await client.messages.recent(ALICE)
    assert info.value.status == 200
    assert len(str(info.value)) < 400  # an excerpt, never the whole answer


async def test_html_error_page_from_a_proxy_is_a_server_error(server, client):
    server.fail_next(1, status=502, body=HTML * 100)
    with pytest.raises(ServerError) as info:
        await client.messages.recent(ALICE)
    assert info.value.status == 502
    assert info.value.message == (HTML * 100).decode()  # whole, for who wants it
    assert str(info.value).startswith("502 '<html><head><title>502 Bad Gateway</title>")
    assert len(str(info.value)) < 400  # the message text is an excerpt


async def test_a_5_mb_page_is_accepted(server, client):
    record = {"sender": ALICE, "timestamp": 1_700_000_000, "message_id": "m", "body": "x" * 5000}
    body = json.dumps([record] * 1000).encode()
    assert len(body) > 5_000_000
    server.malformed_next(1, body=body)
    page = await client.messages.recent(ALICE)
    assert len(page) == 1000 and page[999].body == "x" * 5000


@pytest.mark.parametrize(
    "jid", [".", "..", "alice@.", "alice@..", "alice@../x", "./r", "../..", "a@./b"]
)
async def test_dot_segment_domains_are_rejected_unsent(server, client, jid):
    # "." and ".." travel as a whole path segment: any normalising proxy would turn
    # GET /api/messages/.. into GET /api. They are no domain (RFC 7622 domainparts are DNS
    # names or IP literals), so they never leave the client.
    with pytest.raises(InvalidJIDError, match="domainpart"):
        await client.messages.recent(jid)
    with pytest.raises(InvalidJIDError):
        await client.messages.recent(ALICE, jid)
    with pytest.raises(InvalidJIDError):
        client.messages.history(jid)
    with pytest.raises(InvalidJIDError):
        Message(ALICE, jid, "hi")
    if "@" not in jid and "/" not in jid:
        with pytest.raises(InvalidJIDError):
            await client.users.list(jid)
    assert server.requests == []
