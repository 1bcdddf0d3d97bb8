"""GraphQL over HTTP on FakeMongooseIM: methods, content types, auth, Host, versions, faults."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fake_wire import ALICE, BOB, Answer, Wire

from aiomongoose.testing import FakeMongooseIM

QUERY = "query Q($c: JID!) { stanza { getLastMessages(caller: $c) { limit } } }"
OK_BODY = {"data": {"stanza": {"getLastMessages": {"limit": 50}}}}
JSON = {"Content-Type": "application/json"}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def gql(wire: Wire, payload: Any = None, **kwargs: Any) -> Answer:
    if payload is None:
        payload = {"query": QUERY, "variables": {"c": ALICE}}
    return await wire.post("/graphql", json=payload, **kwargs)


def code_of(answer: Answer) -> str:
    [error] = answer.json()["errors"]
    return error["extensions"]["code"]


async def test_post_answers_json_with_charset(server, wire: Wire):
    answer = await gql(wire)
    assert answer.status == 200
    assert answer.json() == OK_BODY
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.body == b'{"data":{"stanza":{"getLastMessages":{"limit":50}}}}'


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "text/plain", "application/graphql", None],
)
async def test_content_type_must_be_exactly_json(server, wire: Wire, content_type):
    body = json.dumps({"query": QUERY, "variables": {"c": ALICE}}).encode()
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = await wire.post("/graphql", data=body, headers=headers)
    assert (answer.status, answer.body) == (415, b"")
    answer = await wire.post("/graphql", data=body, headers={"Content-Type": "Application/JSON"})
    assert answer.status == 200


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
async def test_other_methods_get_405(server, wire: Wire, method):
    answer = await wire.request(method, "/graphql")
    assert (answer.status, answer.body) == (405, b"")
    assert answer.headers["allow"] == "GET, POST"


async def test_unknown_method_gets_501(server, wire: Wire):
    assert (await wire.request("PROPFIND", "/graphql")).status == 501


async def test_get_runs_the_query_from_the_query_string(server, wire: Wire):
    params = {"query": QUERY, "variables": json.dumps({"c": ALICE}), "operationName": "Q"}
    answer = await wire.get("/graphql", params=params)
    assert (answer.status, answer.json()) == (200, OK_BODY)
    page = await wire.get("/graphql", headers={"Accept": "text/html"})
    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"query": ', 400, "invalid_json_body"),
        (b"", 400, "invalid_json_body"),
        (b'{"query": NaN}', 400, "invalid_json_body"),
        (b'{"variables": {}}', 400, "no_query_supplied"),
        (b'{"query": "{ x }", "variables": "{not json"}', 400, "variables_invalid_json"),
        (b'{"query": "{ x }", "variables": "[1]"}', 400, "variables_invalid_json"),
        (b'{"query": 5}', 500, "internal_server_error"),
    ],
)
async def test_request_body_errors(server, wire: Wire, body, status, code):
    answer = await wire.post("/graphql", data=body, headers=JSON)
    assert answer.status == status
    [error] = answer.json()["errors"]
    assert error["extensions"] == {"code": code}
    assert "path" not in error


@pytest.mark.parametrize(
    "body", [b"[]", b'"query"', b"1", b"null", b'{"query": "{ x }", "variables": 5}']
)
async def test_json_that_is_not_an_object_crashes_the_handler(server, wire: Wire, body):
    answer = await wire.post("/graphql", data=body, headers=JSON)
    assert (answer.status, answer.body) == (500, b"")


async def test_variables_may_be_a_json_string(server, wire: Wire):
    payload = {"query": QUERY, "variables": json.dumps({"c": ALICE})}
    assert (await gql(wire, payload)).json() == OK_BODY
    payload = {"query": '{ stanza { getLastMessages(caller: "alice@wonderland.lit") { limit } } }'}
    assert (await gql(wire, {**payload, "variables": "null"})).json() == OK_BODY


async def test_accept_negotiation(server, wire: Wire):
    assert (await gql(wire, headers={"Accept": "text/plain"})).status == 406
    assert (await gql(wire, headers={"Accept": "application/*;q=0.5"})).status == 200
    assert (await gql(wire, headers={"Accept-Charset": "iso-8859-1"})).status == 406


async def test_configured_credentials(wire: Wire):
    async with FakeMongooseIM(auth=("admin", "secret"), version="6.6") as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert (await gql(w, headers=basic("admin", "secret"))).json() == OK_BODY
        for headers in (basic("admin", "wrong"), basic("other", "secret")):
            answer = await gql(w, headers=headers)
            assert answer.status == 401
            assert answer.json() == {
                "errors": [
                    {
                        "extensions": {"code": "wrong_credentials"},
                        "message": "The provided credentials are wrong",
                    }
                ]
            }
            assert "Content-Type" not in answer.headers
            assert "WWW-Authenticate" not in answer.headers
        # No credentials: the request runs unauthorized and is refused after coercion.
        answer = await gql(w)
        assert answer.status == 401
        assert answer.json()["errors"] == [
            {
                "extensions": {"code": "no_permissions"},
                "message": "Cannot execute query ROOT without permissions",
                "path": ["ROOT"],
            }
        ]
        answer = await gql(w, {"query": QUERY, "variables": {"c": ALICE}, "operationName": "Q"})
        assert answer.json()["errors"][0]["path"] == ["Q"]
        assert code_of(await gql(w, headers={"Authorization": "Bearer x"})) == "no_permissions"
        assert code_of(await gql(w, {"query": QUERY, "variables": {}})) == "missing_non_null_param"
        for bad in ("Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode(), "Token x"):
            answer = await gql(w, headers={"Authorization": bad})
            assert (answer.status, code_of(answer)) == (401, "request_error")


async def test_without_configured_credentials_basic_is_rejected(server, wire: Wire):
    answer = await gql(wire, headers=basic("admin", "secret"))
    assert (answer.status, code_of(answer)) == (401, "wrong_credentials")
    assert (await gql(wire, headers={"Authorization": "Bearer x"})).json() == OK_BODY
    assert (await gql(wire)).json() == OK_BODY


async def test_host_matching(wire: Wire):
    async with FakeMongooseIM(host="localhost", version="6.6") as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert (await gql(w)).status == 400
        assert (await gql(w)).body == b""
        assert (await gql(w, headers={"Host": "localhost:5551"})).json() == OK_BODY
        assert (await w.get(f"/messages/{ALICE}")).status == 400
        assert (await w.get(f"/messages/{ALICE}", headers={"Host": "localhost"})).status == 404


async def test_versions_choose_the_apis(wire: Wire):
    async with FakeMongooseIM(version="6.6") as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert fake.version == "6.6"
        assert fake.graphql_url == fake.url + "/graphql"
        for path in (f"/messages/{ALICE}", "/users/wonderland.lit", "/graphql/x", "/nope"):
            answer = await w.get(path)
            assert (answer.status, answer.body) == (404, b""), path
        answer = await w.send(ALICE, BOB)
        assert (answer.status, answer.body) == (404, b"")
        assert (await gql(w)).json() == OK_BODY
    async with FakeMongooseIM(version="3.7") as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        answer = await gql(w)
        assert (answer.status, answer.body) == (404, b"")
        assert (await w.get(f"/messages/{ALICE}")).status == 200
    with pytest.raises(ValueError):
        FakeMongooseIM(version="6.7")


async def test_faults_and_the_request_log_cover_graphql(server, wire: Wire):
    server.requests.clear()
    server.fail_next(1, status=503)
    assert (await gql(wire)).status == 503
    server.malformed_next(1, method="POST")
    answer = await gql(wire)
    assert (answer.status, answer.headers["Content-Type"]) == (200, "application/json")
    assert (await gql(wire)).json() == OK_BODY
    assert [(r.method, r.segments, r.status, r.fault) for r in server.requests] == [
        ("POST", ("api", "graphql"), 503, "fail"),
        ("POST", ("api", "graphql"), 200, "malformed"),
        ("POST", ("api", "graphql"), 200, None),
    ]
    assert server.requests[-1].json == {"query": QUERY, "variables": {"c": ALICE}}
