"""GET /api/graphql/sse before the stream: methods, credentials, errors, versions, records.

Each answer is checked on the wire with plain aiohttp, against docs/server-behaviour.md
("Subscriptions over SSE") and mongoose_graphql_sse_handler.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp
import pytest
from fake_wire import ALICE, BOB, Answer, Wire, gql
from sse_wire import DOC, params, stream, timeout

from aiomongoose.testing import FakeMongooseIM


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def sse(wire: Wire, query: dict[str, str] | None = None, **kwargs: Any) -> Answer:
    """One GET on the SSE endpoint that must not open a stream."""
    answer = await wire.get("/graphql/sse", params=params() if query is None else query, **kwargs)
    assert answer.headers.get("Content-Type") != "text/event-stream"
    return answer


def only_error(answer: Answer) -> dict[str, Any]:
    [error] = answer.json()["errors"]
    return error


async def test_a_subscription_opens_a_stream(server, session: aiohttp.ClientSession):
    async with stream(session, server) as events:
        assert events.response.headers["Cache-Control"] == "no-cache"
        assert len(server.sse_sessions(ALICE)) == 1


@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND"]
)
async def test_other_methods_get_an_empty_405_before_credentials(wire: Wire, method):
    async with FakeMongooseIM(auth=("admin", "secret")) as fake:
        answer = await wire.to(fake).request(method, "/graphql/sse", params=params())
        assert (answer.status, answer.body) == (405, b"")
        assert "Allow" not in answer.headers
        assert fake.sse_sessions() == []


async def test_credentials_follow_the_post_endpoint(wire: Wire, session: aiohttp.ClientSession):
    async with FakeMongooseIM(auth=("admin", "secret")) as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        wrong = await sse(w, headers=basic("admin", "wrong"))
        assert wrong.status == 401 and "Content-Type" not in wrong.headers
        assert only_error(wrong) == {
            "extensions": {"code": "wrong_credentials"},
            "message": "The provided credentials are wrong",
        }
        malformed = await sse(w, headers={"Authorization": "Basic !!!"})
        assert malformed.status == 401
        assert only_error(malformed)["extensions"] == {"code": "request_error"}
        missing = await sse(w)
        assert missing.status == 401
        assert only_error(missing) == {
            "extensions": {"code": "no_permissions"},
            "message": "Cannot execute query ROOT without permissions",
            "path": ["ROOT"],
        }
        async with stream(session, fake, headers=basic("admin", "secret")):
            assert len(fake.sse_sessions()) == 1
    # No credentials configured: any credentials are wrong.
    async with FakeMongooseIM() as fake:
        assert (await sse(wire.to(fake), headers=basic("admin", "secret"))).status == 401


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("query Q($caller: JID!) { stanza { getLastMessages(caller: $caller) { limit } } }",
         "query"),
        ("mutation M($caller: JID!) { stanza { sendMessage(from: $caller, to: $caller, "
         'body: "x") { id } } }', "mutation"),
    ],
)  # fmt: skip
async def test_only_subscriptions_are_allowed(server, wire: Wire, query, kind):
    answer = await sse(wire, params(query=query))
    assert answer.status == 400 and "Content-Type" not in answer.headers
    assert only_error(answer) == {
        "extensions": {"code": "unsupported_operation"},
        "message": f"The sse execution method does not support {kind} operations.",
        "path": [],
    }
    assert server.archive_of(ALICE) == []  # the mutation did not run
    posted = await gql(wire, DOC, {"caller": ALICE})
    assert only_error(posted)["message"] == (
        "The http execution method does not support subscription operations."
    )


async def test_operation_name_picks_the_subscription(server, wire, session):
    document = (
        "query Q { __typename }\n"
        "subscription A($caller: JID!) { stanza { subscribeForMessages(caller: $caller) "
        "{ stanza_id } } }\n"
        "subscription B($caller: JID!) { stanza { subscribeForMessages(caller: $caller) "
        "{ sender } } }"
    )
    query = params(query=document, operationName="B")
    async with session.get(server.sse_url, params=query) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        server.route_message(BOB, ALICE)
        line = b""
        async with timeout(2):
            while not line.startswith(b"data: "):
                line = await response.content.readline()
        assert json.loads(line[6:]) == {
            "data": {"stanza": {"subscribeForMessages": {"sender": BOB}}}
        }
    answer = await sse(wire, params(query=document, operationName="Q"))
    assert only_error(answer)["message"] == (
        "The sse execution method does not support query operations."
    )
    answer = await sse(wire, params(query=document))
    assert only_error(answer)["extensions"]["code"] == "unsupported_operation"


async def test_no_query_supplied(server, wire: Wire):
    answer = await sse(wire, {"variables": json.dumps({"caller": ALICE})})
    assert answer.status == 400
    assert only_error(answer) == {
        "extensions": {"code": "no_query_supplied"},
        "message": "The query was not supplied in the request body",
    }


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("subscription { stanza { subscribeForMessages(caller: ", '{"caller": "a@b"}'),
        ("subscription S($caller: JID!) { stanza { nope(caller: $caller) { sender } } }",
         '{"caller": "a@b"}'),
        (DOC, '{"caller": "not a jid"}'),
        (DOC, '{"caller": "localhost"}'),
        (DOC, "{}"),
        (DOC, '{"caller": 5}'),
        (DOC, '{"caller": '),
        (DOC, "[1]"),
    ],
)  # fmt: skip
async def test_errors_are_the_answers_of_the_post_endpoint(server, wire: Wire, query, variables):
    answer = await sse(wire, {"query": query, "variables": variables})
    posted = await wire.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status == posted.status == 400
    assert answer.json() == posted.json()
    assert "Content-Type" not in answer.headers  # lasse replies without headers


@pytest.mark.parametrize(
    ("caller", "message", "record"),
    [
        ("nobody@wonderland.lit", "User does not exist",
         '{jid,<<"nobody">>,<<"wonderland.lit">>,<<>>}'),
        ("Alice@Nowhere.lit/Phone", "User's domain does not exist",
         '{jid,<<"alice">>,<<"nowhere.lit">>,<<"Phone">>}'),
    ],
)  # fmt: skip
async def test_an_unknown_caller_gets_200_json_and_no_stream(
    server, wire: Wire, caller, message, record
):
    answer = await sse(wire, params(caller))
    assert answer.status == 200 and "Content-Type" not in answer.headers
    assert answer.json() == {
        "data": {"stanza": {"subscribeForMessages": None}},
        "errors": [
            {
                "extensions": {"caller": record, "code": "unknown_user"},
                "message": message,
                "path": ["stanza", "subscribeForMessages"],
            }
        ],
    }
    assert server.sse_sessions() == []


async def test_a_disabled_stanza_category_does_not_stop_subscriptions(server, session):
    # The SSE handler leaves allowed_categories out of the context: no category check.
    server.graphql_disabled_categories = {"stanza"}
    async with stream(session, server) as events:
        server.route_message(BOB, ALICE, body="still here")
        assert "still here" in (await events.message())["stanza"]


async def test_host_mismatch_is_an_empty_400(wire: Wire):
    async with FakeMongooseIM(host="localhost") as fake:
        answer = await wire.to(fake).get("/graphql/sse", params=params())
        assert (answer.status, answer.body) == (400, b"")


@pytest.mark.parametrize("version", ["6.5", "6.6"])
async def test_graphql_versions_serve_it(wire: Wire, session, version):
    async with FakeMongooseIM(version=version) as fake:
        fake.add_user(ALICE)
        async with stream(session, fake) as events:
            fake.route_message(BOB, ALICE, body="hi")
            assert "<body>hi</body>" in (await events.message())["stanza"]


async def test_version_3_7_answers_404(wire: Wire):
    async with FakeMongooseIM(version="3.7") as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert (await w.get("/graphql/sse", params=params())).status == 404
        assert (await w.get("/graphql", params=params())).status == 404


async def test_every_request_is_recorded(server, wire: Wire, session):
    server.requests.clear()
    async with stream(session, server, headers={"Last-Event-ID": "7"}) as events:
        [record] = server.requests
        assert (record.method, record.path, record.status) == ("GET", "/api/graphql/sse", 200)
        assert record.query == params()
        assert record.headers["last-event-id"] == "7"
        assert record.fault is None
        server.route_message(BOB, ALICE)
        assert (await events.event())[0] == 1  # nothing replayed, ids start at 1
    await sse(wire, params("nobody@wonderland.lit"))
    await sse(wire, {})
    await wire.request("POST", "/graphql/sse")
    assert [(r.method, r.status) for r in server.requests[1:]] == [
        ("GET", 200),
        ("GET", 400),
        ("POST", 405),
    ]
