"""GraphQL errors through AdminClient: HTTP 200 answers that carry `errors`, 401, retries.

MongooseIM reports a resolver's failure with HTTP 200, ``data.<category>.<op> = null`` and
an ``errors`` entry; the client maps its ``extensions.code`` onto the REST error classes and
keeps it as ``.code``. No answer with ``errors`` is ever taken as a success.
"""

from __future__ import annotations

import json

import pytest

from aiomongoose import (
    AdminClient,
    ApiError,
    BadRequestError,
    FeatureDisabledError,
    Message,
    NotFoundError,
    ProtocolError,
    ServerError,
    UnauthorizedError,
)
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
US = 1_000_000
BASE_US = 1_700_000_000 * US


async def _history(client: AdminClient, owner: str) -> list:
    return [m async for m in client.messages.history(owner)]


@pytest.fixture
async def server():
    async with FakeMongooseIM(version="6.6") as srv:
        srv.add_user(ALICE)
        srv.add_user(RABBIT)
        srv.add_message(RABBIT, ALICE, at_us=BASE_US, message_id="old")
        yield srv


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda c: c.messages.recent("nobody@wonderland.lit"), "User does not exist"),
        (lambda c: c.messages.recent("alice@nowhere.lit"), "User's domain does not exist"),
        (lambda c: c.messages.recent("Nobody@Wonderland.lit", with_=RABBIT), "User does not exist"),
        (lambda c: _history(c, "nobody@wonderland.lit"), "User does not exist"),
        (lambda c: _history(c, "alice@nowhere.lit"), "User's domain does not exist"),
        (
            lambda c: c.messages.send(Message("ghost@wonderland.lit", ALICE, "boo")),
            "User does not exist",
        ),
        (
            lambda c: c.messages.send(Message("alice@nowhere.lit/phone", ALICE, "boo")),
            "User's domain does not exist",
        ),
    ],
)
async def test_unknown_user_is_a_bad_request_with_its_code(server, call, text):
    async with AdminClient(server.url, api="graphql") as client:
        with pytest.raises(BadRequestError) as info:
            await call(client)
    err = info.value
    assert (err.status, err.code, err.message) == (200, "unknown_user", text)
    assert "[unknown_user]" in str(err) and server.graphql_url in str(err)
    assert [e.message_id for e in server.archive_of(ALICE)] == ["old"]  # nothing sent


async def test_unknown_domain_of_users_list_is_a_bad_request(server):
    async with AdminClient(server.url, api="graphql") as client:
        with pytest.raises(BadRequestError) as info:
            await client.users.list("nowhere.lit")
        assert await client.users.list("WONDERLAND.lit") == [ALICE, RABBIT]
    assert (info.value.status, info.value.code) == (200, "domain_not_found")
    assert info.value.message == "Domain does not exist"


async def test_archive_module_off_is_feature_disabled_naming_mod_mam_pm():
    async with FakeMongooseIM(version="6.6", mam_enabled=False) as server:
        server.add_user(ALICE)
        async with AdminClient(server.url, api="graphql") as client:
            with pytest.raises(FeatureDisabledError) as recent:
                await client.messages.recent(ALICE)
            with pytest.raises(FeatureDisabledError) as history:
                await _history(client, ALICE)
            # a send does not need the archive: delivered, not archived
            sent = await client.messages.send(Message(ALICE, RABBIT, "unarchived"))
    for info in (recent, history):
        err = info.value
        assert (err.status, err.code) == (200, "deps_not_loaded")
        assert "mod_mam_pm" in str(err)
    assert isinstance(sent, str) and len(sent) == 16
    assert server.archive_of(ALICE) == []


async def test_disabled_category_is_feature_disabled_naming_the_category():
    async with FakeMongooseIM(graphql_disabled_categories={"stanza"}) as server:
        server.add_user(ALICE)
        async with AdminClient(server.url, api="graphql") as client:
            errors = []
            for call in (
                lambda: client.messages.recent(ALICE),
                lambda: _history(client, ALICE),
                lambda: client.messages.send(Message(ALICE, RABBIT, "x")),
            ):
                with pytest.raises(FeatureDisabledError) as info:
                    await call()
                errors.append(info.value)
            assert await client.users.list("wonderland.lit") == [ALICE]  # account still on
            server.graphql_disabled_categories = {"account"}
            with pytest.raises(FeatureDisabledError) as account:
                await client.users.list("wonderland.lit")
            assert await client.messages.recent(ALICE) == []
            # REST on the same 6.5 server knows nothing of GraphQL categories
        async with AdminClient(server.url) as rest:
            assert await rest.users.list("wonderland.lit") == [ALICE]
    for err in errors:
        assert (err.status, err.code, err.message) == (
            200,
            "category_disabled",
            "Category disabled",
        )
        assert "'stanza'" in str(err)
    assert account.value.code == "category_disabled" and "'account'" in str(account.value)
    assert server.archive_of(ALICE) == []


OK_SEND = {"stanza": {"sendMessage": {"id": "abc"}}}
OK_LAST = {
    "stanza": {
        "getLastMessages": {
            "stanzas": [
                {
                    "sender": RABBIT,
                    "timestamp": "2023-11-14T22:13:20.000000Z",
                    "stanza_id": "X1",
                    "stanza": "<message id='m'><body>hi</body></message>",
                }
            ],
            "limit": 50,
        }
    }
}
OK_USERS = {"account": {"listUsers": [ALICE]}}


@pytest.mark.parametrize(
    ("errors", "cls", "code"),
    [
        ([{"message": "partial", "extensions": {"code": "weird"}}], ApiError, "weird"),
        (
            [{"message": "bad sender", "extensions": {"code": "invalid_sender"}}],
            BadRequestError,
            "invalid_sender",
        ),
        (
            [{"message": "who?", "extensions": {"code": "unknown_user"}}],
            BadRequestError,
            "unknown_user",
        ),
        (
            [{"message": "off", "extensions": {"code": "deps_not_loaded"}}],
            FeatureDisabledError,
            "deps_not_loaded",
        ),
        ([{"message": "no code"}], ApiError, None),
        ([{"message": "first", "extensions": {"code": "a"}}, {"message": "second"}], ApiError, "a"),
        ([{}], ApiError, None),
        ([42], ApiError, None),
        ("boom", ApiError, None),
        ({"message": "an object, not a list"}, ApiError, None),
    ],
)
@pytest.mark.parametrize(
    ("call", "data"),
    [
        (lambda c: c.messages.send(Message(ALICE, RABBIT, "x")), OK_SEND),
        (lambda c: c.messages.recent(ALICE), OK_LAST),
        (lambda c: _history(c, ALICE), OK_LAST),
        (lambda c: c.users.list("wonderland.lit"), OK_USERS),
    ],
)
async def test_an_answer_with_errors_is_never_a_success(server, errors, cls, code, call, data):
    # Even next to complete, valid `data`: the errors win.
    server.malformed_next(1, body=json.dumps({"data": data, "errors": errors}).encode())
    async with AdminClient(server.url, api="graphql") as client:
        with pytest.raises(cls) as info:
            await call(client)
        assert await client.users.list("wonderland.lit") == [ALICE, RABBIT]  # next one fine
    assert type(info.value) is cls
    assert (info.value.status, info.value.code) == (200, code)
    assert [r.fault for r in server.requests] == ["malformed", None]  # tried once, no retry


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"data": null}', b'{"data": {}}'])
async def test_an_answer_without_data_or_errors_is_a_protocol_error(server, body):
    server.malformed_next(1, body=body)
    async with AdminClient(server.url, api="graphql") as client:
        with pytest.raises(ProtocolError):
            await client.messages.recent(ALICE)


async def test_wrong_credentials_are_unauthorized():
    async with FakeMongooseIM(version="6.6", auth=("admin", "secret")) as server:
        server.add_user(ALICE)
        async with AdminClient(server.url, api="graphql", auth=("admin", "n0t-it")) as client:
            for call in (
                lambda: client.messages.recent(ALICE),
                lambda: client.messages.send(Message(ALICE, RABBIT, "x")),
                lambda: client.users.list("wonderland.lit"),
            ):
                with pytest.raises(UnauthorizedError) as info:
                    await call()
                err = info.value
                assert (err.status, err.code) == (401, "wrong_credentials")
                assert "n0t-it" not in str(err)
        async with AdminClient(server.url, api="graphql", auth=("admin", "secret")) as client:
            assert await client.users.list("wonderland.lit") == [ALICE]
    assert server.archive_of(ALICE) == []
    assert len(server.requests) == 4  # a 401 is not retried


async def test_rest_on_a_graphql_only_server_is_not_found(server):
    async with AdminClient(server.url) as client:  # api="rest"
        for call in (
            lambda: client.messages.recent(ALICE),
            lambda: client.messages.send(Message(ALICE, RABBIT, "x")),
            lambda: client.users.list("wonderland.lit"),
        ):
            with pytest.raises(NotFoundError) as info:
                await call()
            assert info.value.status == 404
    assert [r.status for r in server.requests] == [404, 404, 404]
    assert len(server.archive_of(ALICE)) == 1


async def test_a_query_is_retried_after_a_503_and_a_mutation_is_not(server):
    async with AdminClient(server.url, api="graphql") as client:
        server.fail_next(1, status=503)
        page = await client.messages.recent(ALICE)
        assert [m.message_id for m in page] == ["old"]
        assert client.retries == 1
        assert [(r.fault, r.status) for r in server.requests] == [("fail", 503), (None, 200)]
        assert server.requests[0].json == server.requests[1].json  # the same query again

        server.requests.clear()
        server.fail_next(1, status=503)
        assert await client.users.list("wonderland.lit") == [ALICE, RABBIT]
        assert len(server.requests) == 2 and client.retries == 2

        server.requests.clear()
        server.fail_next(1, status=503)
        with pytest.raises(ServerError) as info:
            await client.messages.send(Message(ALICE, RABBIT, "maybe"))
        assert info.value.status == 503
        assert len(server.requests) == 1 and client.retries == 2  # a send is tried once
        assert server.requests[0].json["operationName"] == "SendMessage"
    assert [e.message_id for e in server.archive_of(ALICE)] == ["old"]


async def test_history_pages_are_retried_and_stay_exactly_once(server):
    for i in range(1, 120):
        server.add_message(ALICE, RABBIT, at_us=BASE_US + i * 1000, message_id=f"m{i}")
    want = [e.stanza_id for e in reversed(server.archive_of(ALICE))]
    async with AdminClient(server.url, api="graphql") as client:
        history = client.messages.history(ALICE, page_size=20)
        got = []
        async for message in history:
            got.append(message.stanza_id)
            if len(got) in (1, 45, 100):  # a failure before the next page's request
                server.fail_next(2, status=503)
    assert got == want and len(got) == 120
    assert client.retries == 6
    assert history.requests == 7  # 20 new, then 19 new per page: 20 + 5 * 19 = 115, 5 left


async def test_a_query_gives_up_after_the_policys_tries(server):
    server.fail_next(3, status=503)
    async with AdminClient(server.url, api="graphql") as client:
        with pytest.raises(ServerError) as info:
            await client.messages.recent(ALICE)
    assert info.value.status == 503
    assert len(server.requests) == 3
