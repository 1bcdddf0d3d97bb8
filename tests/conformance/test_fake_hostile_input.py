"""Inputs past Python's own limits (issue 16, item 10), and the bound of the request log.

Each request here once crashed the fake with aiohttp's 500, or was answered otherwise than
MongooseIM answers it: a non-ASCII Basic token, thousands of digits in ``limit``/``before``
or in a GraphQL integer, JSON nested deeper than Python's ``json`` recurses, deeply nested
GraphQL documents. Every one of them is answered and logged in ``server.requests``.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from typing import Any

import pytest
from fake_wire import ALICE, BOB, T0, US, Wire, error_of, gql

from aiomongoose.testing import FakeMongooseIM

DIGITS = "1" * 5000  # past sys.get_int_max_str_digits() (4300)
DEEP = 100_000  # far past Python's recursion limit
LAST = (
    "query Last($caller: JID!, $limit: PosInt, $before: DateTime) "
    "{ stanza { getLastMessages(caller: $caller, limit: $limit, before: $before) "
    "{ stanzas { stanza_id } limit } } }"
)


def deep_array(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


def obj(members: dict[str, str]) -> str:
    """A JSON object of members given as JSON text (too deep or too long for json.dumps)."""
    return "{" + ", ".join(f"{json.dumps(name)}: {text}" for name, text in members.items()) + "}"


def depth_of(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth + isinstance(value, list)


def seed(server: FakeMongooseIM, count: int) -> None:
    for n in range(count):
        server.add_message(BOB, ALICE, at_us=(T0 + n) * US, body=f"m{n}")


# A Basic token with non-ASCII characters: Cowboy's parser cannot read it.


@pytest.mark.parametrize(
    ("version", "auth"), [("6.5", ("admin", "secret")), ("6.5", None), ("3.7", None)]
)
async def test_a_non_ascii_basic_token(wire: Wire, version, auth):
    header = {"Authorization": "Basic YWRtaW46c2VjcmV0\u00e9t\u00e9"}
    async with FakeMongooseIM(auth=auth, version=version) as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        # REST: get_auth_details does not catch the parser's request_error: an empty 400.
        answer = await w.get(f"/messages/{ALICE}", headers=header)
        assert (answer.status, answer.body) == (400, b"")
        assert "WWW-Authenticate" not in answer.headers
        sent = await w.post(json={"caller": ALICE, "to": ALICE, "body": "x"}, headers=header)
        assert (sent.status, sent.body) == (400, b"")
        assert fake.archive_of(ALICE) == []
        if version == "6.5":  # GraphQL catches it: 401 request_error
            payload = {"query": "{ __typename }"}
            answer = await w.post("/graphql", json=payload, headers=header)
            assert error_of(answer, 401)["extensions"] == {"code": "request_error"}
        logged = fake.requests[0].headers["authorization"]
        assert logged == header["Authorization"]
        expected = [400, 400, 401] if version == "6.5" else [400, 400]
        assert [r.status for r in fake.requests] == expected


# limit and before with more digits than Python's int() takes: Erlang reads them all.


async def test_limit_and_before_with_thousands_of_digits(server, wire: Wire):
    seed(server, 60)
    path = f"/messages/{ALICE}"
    answer = await wire.get(f"{path}?limit={DIGITS}")
    assert answer.status == 200
    assert [r["body"] for r in answer.json()] == [f"m{n}" for n in range(10, 60)]  # the cap
    answer = await wire.get(f"{path}?limit=%2B{'0' * 5000}3")  # +000…0003
    assert [r["body"] for r in answer.json()] == ["m57", "m58", "m59"]
    answer = await wire.get(f"{path}?limit=3&before={DIGITS}")
    assert [r["body"] for r in answer.json()] == ["m57", "m58", "m59"]
    answer = await wire.get(f"{path}?before=-{DIGITS}")
    assert (answer.status, answer.json()) == (200, [])
    answer = await wire.get(f"{path}?limit=-{DIGITS}")
    assert (answer.status, answer.json()) == (400, "Invalid limit")
    assert [r.query.get("limit", "")[-4:] for r in server.requests] == [
        "1111", "0003", "3", "", "1111"
    ]  # fmt: skip


async def test_limit_with_thousands_of_digits_on_3_7(wire: Wire):
    async with FakeMongooseIM(version="3.7") as fake:
        fake.add_user(ALICE)
        answer = await wire.to(fake).get(f"/messages/{ALICE}?limit={DIGITS}")
        assert (answer.status, answer.body) == (500, b"Invalid limit")  # above 500
        answer = await wire.to(fake).get(f"/messages/{ALICE}?before={DIGITS}")
        assert (answer.status, answer.body) == (200, b"[]")


# JSON nested deeper than Python's json module recurses: jiffy decodes it all.


async def test_deeply_nested_json_bodies_on_rest(server, wire: Wire):
    json_type = {"Content-Type": "application/json"}
    answer = await wire.post(data=deep_array(DEEP), headers=json_type)
    assert (answer.status, answer.json()) == (400, "Invalid request body")  # not an object
    assert depth_of(server.requests[-1].json) == DEEP
    answer = await wire.post(data="[" * DEEP, headers=json_type)
    assert (answer.status, answer.json()) == (400, "Invalid request body")  # not JSON
    assert server.requests[-1].json is None
    # `with` is an atom the VM knows, so the key is ignored, however deep its value.
    with_ = deep_array(DEEP, "1")
    body = obj({"caller": f'"{ALICE}"', "to": f'"{BOB}"', "body": '"deep"', "with": with_})
    assert (await wire.post(data=body, headers=json_type)).status == 204
    assert [m.body for m in server.archive_of(BOB)] == ["deep"]
    assert [r.status for r in server.requests] == [400, 400, 204]
    assert server.requests[-1].body == body.encode()


async def test_deeply_nested_variables_on_graphql(server, wire: Wire):
    # MongooseIM coerces such a value as a shallow one: a JID from a list aborts.
    variables = obj({"caller": deep_array(DEEP, '"x"')})
    payload = obj({"query": json.dumps(LAST), "variables": variables})
    answer = await wire.post("/graphql", data=payload, headers={"Content-Type": "application/json"})
    assert error_of(answer, 400) == {
        "extensions": {"code": "input_coerce_abort"},
        "message": "Input coercer failed due to an internal server error",
        "path": ["..", "caller"],
    }
    # The same depth in a `variables` string; a DateTime prints the value in its message.
    variables = obj({"caller": f'"{ALICE}"', "before": deep_array(DEEP, "1")})
    answer = await wire.post("/graphql", json={"query": LAST, "variables": variables})
    assert error_of(answer, 400) == {
        "extensions": {"code": "input_coercion"},
        "message": (
            f"Input coercion failed for type DateTime with value {deep_array(DEEP, '1')}. "
            "The reason it failed is: failed_to_parse_datetime"
        ),
        "path": ["..", "before"],
    }
    assert [r.status for r in server.requests] == [400, 400]
    assert depth_of(server.requests[0].json["variables"]["caller"]) == DEEP


# GraphQL documents nested deeper than the fake processes (MongooseIM has no such limit).

LIMIT = 128


def chain(spreads: int) -> str:
    """Selections nested ``spreads + 2`` levels deep through a chain of fragments."""
    links = " ".join(f"fragment F{n} on AdminQuery {{ ...F{n + 1} }}" for n in range(spreads))
    return f"{{ ...F0 }} {links} fragment F{spreads} on AdminQuery {{ __typename }}"


def selections(depth: int) -> str:
    return "{" + "a {" * depth + " b" + "}" * (depth + 1)


def inline_fragments(depth: int) -> str:
    return "{" + "... on AdminQuery {" * depth + " __typename" + "}" * (depth + 1)


def list_value(depth: int) -> str:
    return "{ stanza { getLastMessages(caller: " + deep_array(depth, '"x"') + ") { limit } } }"


def too_deep(line: int = 1) -> dict[str, Any]:
    message = (
        f"Cannot parse line {line} because of nesting deeper than {LIMIT} levels, "
        "a limit of the fake server that MongooseIM does not have"
    )
    return {"extensions": {"code": "parser_error"}, "message": message, "path": []}


@pytest.mark.parametrize(
    ("document", "status", "expected"),
    [
        # Within the limit, answered as MongooseIM answers them at any depth.
        (selections(LIMIT - 1), 400, "unknown_field"),
        (inline_fragments(LIMIT - 1), 200, None),
        (chain(LIMIT - 2), 200, None),
        (list_value(LIMIT - 10), 400, "input_coerce_abort"),
        # Beyond it: the fake's own 400, whatever graphql-core it runs on.
        (selections(LIMIT), 400, too_deep()),
        (selections(5000), 400, too_deep()),
        (inline_fragments(5000), 400, too_deep()),
        (list_value(5000), 400, too_deep()),
        ("{ __typename }\n" + list_value(300), 400, too_deep(2)),
        (chain(LIMIT - 1), 400, too_deep()),  # each fragment a level, none of them deep
        (chain(300), 400, too_deep()),
    ],
    ids=[
        *("sel-127", "frag-127", "chain-126", "list-118", "sel-128", "sel", "frag", "list"),
        *("line", "chain-127", "chain-300"),
    ],
)
async def test_deeply_nested_documents(server, wire: Wire, document, status, expected):
    answer = await gql(wire, document)
    if status == 200:
        assert (answer.status, answer.json()) == (200, {"data": {"__typename": "AdminQuery"}})
    elif isinstance(expected, str):
        assert error_of(answer, status)["extensions"]["code"] == expected
    else:
        assert error_of(answer, status) == expected
    [logged] = server.requests
    assert (logged.json["query"], logged.status) == (document, status)


async def test_deeply_nested_documents_on_the_sse_endpoint(server, wire: Wire):
    # 500 levels: the query string must stay below aiohttp's 8190 bytes (Cowboy: 8000).
    caller = deep_array(500, '"x"')
    field = "subscribeForMessages(caller: " + caller + ") { sender }"
    answer = await wire.get(
        "/graphql/sse", params={"query": f"subscription {{ stanza {{ {field} }} }}"}
    )
    assert error_of(answer, 400) == too_deep()


# Integers of thousands of digits in GraphQL: graphql-erlang reads them all.


async def test_integer_literals_and_variables_of_thousands_of_digits(server, wire: Wire):
    seed(server, 3)

    # PosInt takes any positive integer; the resolver then applies the cap (50).
    def document(limit: str) -> str:
        return f'{{ stanza {{ getLastMessages(caller: "{ALICE}", limit: {limit}) {{ limit }} }} }}'

    answer = await gql(wire, document(DIGITS))
    assert answer.json() == {"data": {"stanza": {"getLastMessages": {"limit": 50}}}}
    variables = obj({"caller": f'"{ALICE}"', "limit": DIGITS})
    payload = obj({"query": json.dumps(LAST), "variables": variables})
    answer = await wire.post("/graphql", data=payload, headers={"Content-Type": "application/json"})
    assert answer.json()["data"]["stanza"]["getLastMessages"]["limit"] == 50
    # Refused values are printed in full, as Erlang prints an integer.
    answer = await gql(wire, document("-" + DIGITS))
    assert error_of(answer, 400) == {
        "extensions": {"code": "input_coercion"},
        "message": (
            f"Input coercion failed for type PosInt with value -{DIGITS}. "
            'The reason it failed is: "Value is not a positive integer"'
        ),
        "path": ["ROOT", "stanza", "getLastMessages", "limit"],
    }
    # REST reads the same JSON: an integer where a JID belongs is an invalid JID.
    payload = obj({"caller": DIGITS, "to": f'"{BOB}"', "body": '"x"'})
    answer = await wire.post(data=payload, headers={"Content-Type": "application/json"})
    assert (answer.status, answer.json()) == (400, "Invalid sender JID")
    assert server.requests[-1].json["caller"] == (10**5000 - 1) // 9  # 5000 ones
    assert [r.status for r in server.requests] == [200, 200, 400, 400]


# The request log keeps the last `request_log_size` requests.


async def test_the_request_log_keeps_the_last_requests(wire: Wire):
    assert FakeMongooseIM().request_log_size == 1000
    async with FakeMongooseIM(request_log_size=3) as fake:
        w = wire.to(fake)
        log = fake.requests
        for n in range(5):
            await w.get(f"/users/d{n}.lit")
        assert fake.requests is log  # still the live list
        assert [r.segments[-1] for r in log] == ["d2.lit", "d3.lit", "d4.lit"]
        fake.request_log_size = 1
        assert [r.segments[-1] for r in log] == ["d4.lit"]
        fake.request_log_size = None  # unbounded
        for n in range(5, 8):
            await w.get(f"/users/d{n}.lit")
        assert len(log) == 4
        fake.request_log_size = 0
        await w.get("/users/d8.lit")
        assert log == []
    for bad, error in ((-1, ValueError), (1.5, TypeError), (True, TypeError), ("9", TypeError)):
        with pytest.raises(error):
            FakeMongooseIM(request_log_size=bad)


async def test_the_request_log_memory_is_bounded(wire: Wire):
    body = b'"' + b"x" * 900_000 + b'"'  # JSON: the log keeps the bytes and the decoded str
    async with FakeMongooseIM(request_log_size=5) as fake:
        w = wire.to(fake)
        await w.post(data=body, headers={"Content-Type": "application/json"})
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(40):
                answer = await w.post(data=body, headers={"Content-Type": "application/json"})
                assert answer.status == 400
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert len(fake.requests) == 5
        # Unbounded, 40 requests would hold 40 * 1.8 MB = 72 MB; five of them hold 9 MB.
        assert grown < 12_000_000, grown
