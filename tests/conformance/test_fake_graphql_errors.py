"""GraphQL errors on FakeMongooseIM: 400 before execution, 200 with `errors` after."""

from __future__ import annotations

import pytest
from fake_wire import ALICE, BOB, T0, US, Wire, error_of, gql

from aiomongoose.testing import FakeMongooseIM

SEND = (
    "mutation Send($from: JID!, $to: JID!, $body: String!) "
    "{ stanza { sendMessage(from: $from, to: $to, body: $body) { id } } }"
)
LAST = (
    "query Last($caller: JID!, $with: JID, $limit: PosInt, $before: DateTime) "
    "{ stanza { getLastMessages(caller: $caller, with: $with, limit: $limit, before: $before) "
    "{ stanzas { sender timestamp stanza_id stanza } limit } } }"
)


def coercion(type_name: str, value: str, reason: str) -> str:
    return (
        f"Input coercion failed for type {type_name} with value {value}. "
        f"The reason it failed is: {reason}"
    )


POSITIVE = '"Value is not a positive integer"'
JID_BAD = "failed_to_parse_jid"
DT_BAD = "failed_to_parse_datetime"


@pytest.mark.parametrize(
    ("name", "value", "type_name", "shown", "reason"),
    [
        ("limit", 0, "PosInt", "0", POSITIVE),
        ("limit", -3, "PosInt", "-3", POSITIVE),
        ("limit", "5", "PosInt", '<<"5">>', POSITIVE),
        ("limit", 2.0, "PosInt", "2.0", POSITIVE),
        ("limit", True, "PosInt", "true", POSITIVE),
        ("with", "a@b@c", "JID", '<<"a@b@c">>', JID_BAD),
        ("with", "tea.party", "JID", '<<"tea.party">>', "jid_without_local_part"),
        ("before", "2024-05-02", "DateTime", '<<"2024-05-02">>', DT_BAD),
        ("before", "2024-05-02T10:11:12", "DateTime", '<<"2024-05-02T10:11:12">>', DT_BAD),
        ("before", "2024-02-30T10:11:12Z", "DateTime", '<<"2024-02-30T10:11:12Z">>', DT_BAD),
        ("before", 1714644672, "DateTime", "1714644672", DT_BAD),
    ],
)
async def test_input_coercion_of_variables(
    server, wire: Wire, name, value, type_name, shown, reason
):
    answer = await gql(wire, LAST, {"caller": ALICE, name: value}, operationName="Last")
    assert error_of(answer, 400) == {
        "extensions": {"code": "input_coercion"},
        "message": coercion(type_name, shown, reason),
        "path": ["Last", name],
    }


async def test_coercion_paths_and_the_other_coercion_failures(server, wire: Wire):
    # Without operationName the path starts with "..", as graphql-erlang writes it.
    error = error_of(await gql(wire, LAST, {"caller": "not a jid"}), 400)
    assert error["path"] == ["..", "caller"]
    assert error["extensions"] == {"code": "input_coercion"}
    error = error_of(await gql(wire, LAST, {"caller": 42}), 400)
    assert error["extensions"] == {"code": "input_coerce_abort"}
    error = error_of(await gql(wire, LAST, {}), 400)
    assert error == {
        "extensions": {"code": "missing_non_null_param"},
        "message": "The parameter is non-null, but was undefined in parameter list",
        "path": ["..", "caller"],
    }
    error = error_of(await gql(wire, SEND, {"from": ALICE, "to": BOB, "body": None}), 400)
    assert error["extensions"] == {"code": "missing_non_null_param"}
    assert error["path"] == ["..", "body"]
    # Inline literals are checked with the document: the path runs through the fields.
    query = '{ stanza { getLastMessages(caller: "a@b", limit: 0) { limit } } }'
    error = error_of(await gql(wire, query), 400)
    assert error["extensions"] == {"code": "input_coercion"}
    assert error["path"] == ["ROOT", "stanza", "getLastMessages", "limit"]


@pytest.mark.parametrize(
    ("query", "code", "path"),
    [
        ("{ stanza { getLastMessages { limit } } }", "missing_non_null_param", "ROOT.stanza.gLM"),
        (
            "{ stanza { gLM(caller: XJ, with: null) { limit } } }",
            "null_input",
            "ROOT.stanza.gLM.with",
        ),
        ("{ stanza { gLM(caller: XJ, max: 5) { limit } } }", "excess_args", "ROOT.stanza.gLM"),
        ("{ stanza { gLM(caller: XJ) { total } } }", "unknown_field", "ROOT.stanza.gLM.total"),
        ("{ stanza { gLM(caller: XJ) } }", "fieldless_object", "ROOT.stanza.gLM"),
        (
            "{ stanza { gLM(caller: XJ) { limit { x } } } }",
            "selection_on_scalar",
            "ROOT.stanza.gLM.limit",
        ),
        (
            "query Q { stanza { sendMessage(from: XJ, to: XJ, body: XJ) { id } } }",
            "unknown_field",
            "Q.stanza.sendMessage",
        ),
        (
            "query Q($limit: Int) { stanza { gLM(caller: XJ, limit: $limit) { limit } } }",
            "type_mismatch",
            "Q.stanza.gLM.limit.limit",
        ),
        (
            "query Q { stanza { gLM(caller: $who) { limit } } }",
            "unbound_variable",
            "Q.stanza.gLM.caller",
        ),
        ("query Q($x: Nope) { stanza { __typename } }", "not_found", "Q"),
        (
            "{ stanza { gLM(caller: XJ) { limit @defer } } }",
            "unknown_directive",
            "ROOT.stanza.gLM.limit",
        ),
        ("{ stanza { gLM(", "parser_error", ""),
        ("{ stanza { gLM(caller: ?) } }", "scanner_error", ""),
        ("query A { stanza { __typename } } query A { stanza { __typename } }", "not_unique", ""),
    ],
)
async def test_document_errors_are_400(server, wire: Wire, query, code, path):
    # Shorthands: gLM is getLastMessages, XJ a JID literal, paths are dotted.
    query = query.replace("gLM", "getLastMessages").replace("XJ", '"a@b"')
    error = error_of(await gql(wire, query), 400)
    assert error["extensions"] == {"code": code}
    assert error["path"] == (path.replace("gLM", "getLastMessages").split(".") if path else [])
    assert isinstance(error["message"], str) and error["message"]


async def test_exact_messages_of_a_few_document_errors(server, wire: Wire):
    error = error_of(await gql(wire, "{ stanza { nope } }"), 400)
    assert error["extensions"] == {"code": "unknown_field"}  # graphql-core's wording
    error = error_of(await gql(wire, "{ stanza { "), 400)
    assert error["message"].startswith("Cannot parse line 1 because of ")  # then graphql-core's
    query = "query Q($c: JID) { stanza { getLastMessages(caller: $c) { limit } } }"
    error = error_of(await gql(wire, query), 400)
    assert error["message"] == (
        "Type mismatch. The query document has a value/variable of type (JID) "
        "but the schema expects type (JID!)"
    )
    error = error_of(await gql(wire, LAST, {"caller": ALICE}, operationName="Nope"), 400)
    assert error == {
        "extensions": {"code": "operation_not_found"},
        "message": 'Expected an operation <<"Nope">> but no such operation was found',
        "path": [],
    }


async def test_unknown_user_is_200_with_errors_and_null_data(server, wire: Wire):
    answer = await gql(wire, LAST, {"caller": "dinah@wonderland.lit/home"})
    assert answer.status == 200
    assert answer.json() == {
        "data": {"stanza": {"getLastMessages": None}},
        "errors": [
            {
                "extensions": {"code": "unknown_user", "user": "dinah@wonderland.lit/home"},
                "message": "User does not exist",
                "path": ["stanza", "getLastMessages"],
            }
        ],
    }
    error = error_of(await gql(wire, LAST, {"caller": "hatter@tea.party"}), 200)
    assert error["message"] == "User's domain does not exist"
    answer = await gql(wire, SEND, {"from": "hatter@tea.party/hat", "to": ALICE, "body": "x"})
    assert answer.json() == {
        "data": {"stanza": {"sendMessage": None}},
        "errors": [
            {
                "extensions": {"code": "unknown_user", "from": "hatter@tea.party/hat"},
                "message": "User's domain does not exist",
                "path": ["stanza", "sendMessage"],
            }
        ],
    }
    error = error_of(
        await gql(wire, SEND, {"from": "dinah@wonderland.lit", "to": ALICE, "body": "x"}), 200
    )
    assert error["message"] == "User does not exist"
    assert server.archive_of(ALICE) == []


async def test_errors_keep_aliases_in_the_path_and_other_fields_resolve(server, wire: Wire):
    query = (
        '{ stanza { ok: getLastMessages(caller: "alice@wonderland.lit") { limit } '
        'bad: getLastMessages(caller: "nobody@wonderland.lit") { limit } } }'
    )
    answer = await gql(wire, query)
    assert answer.status == 200
    body = answer.json()
    assert body["data"] == {"stanza": {"bad": None, "ok": {"limit": 50}}}
    assert [e["path"] for e in body["errors"]] == [["stanza", "bad"]]


async def test_mam_disabled_answers_deps_not_loaded(wire: Wire):
    async with FakeMongooseIM(version="6.6", mam_enabled=False) as fake:
        fake.add_user(ALICE)
        fake.add_message(BOB, ALICE, at_us=T0 * US)
        w = wire.to(fake)
        answer = await gql(w, LAST, {"caller": ALICE})
        assert answer.status == 200
        assert answer.json() == {
            "data": {"stanza": {"getLastMessages": None}},
            "errors": [
                {
                    "extensions": {"code": "deps_not_loaded", "not_loaded_modules": ["mod_mam_pm"]},
                    "message": "Some of the required modules are not loaded",
                    "path": ["stanza", "getLastMessages"],
                }
            ],
        }
        # The module check needs the caller's domain; an unknown one reaches the resolver.
        error = error_of(await gql(w, LAST, {"caller": "x@tea.party"}), 200)
        assert error["extensions"]["code"] == "unknown_user"
        # Sends are delivered but not archived.
        sent = await gql(w, SEND, {"from": ALICE, "to": BOB, "body": "lost"})
        assert sent.json()["data"]["stanza"]["sendMessage"]["id"]
        assert len(fake.archive_of(ALICE)) == 1
        fake.mam_enabled = True
        assert (await gql(w, LAST, {"caller": ALICE})).json()["data"]["stanza"]["getLastMessages"]


async def test_category_disabled(server, wire: Wire):
    server.graphql_disabled_categories.add("stanza")
    for query, variables in (
        (LAST, {"caller": ALICE}),
        (SEND, {"from": ALICE, "to": BOB, "body": "x"}),
    ):
        answer = await gql(wire, query, variables)
        assert answer.status == 200
        assert answer.json() == {
            "data": {"stanza": None},
            "errors": [
                {
                    "extensions": {"category": "stanza", "code": "category_disabled"},
                    "message": "Category disabled",
                    "path": ["stanza"],
                }
            ],
        }
    assert server.archive_of(ALICE) == []
    server.graphql_disabled_categories = set()
    assert (await gql(wire, LAST, {"caller": ALICE})).json()["data"]["stanza"] is not None
    async with FakeMongooseIM(graphql_disabled_categories=["stanza"]) as fake:
        fake.add_user(ALICE)
        error = error_of(await gql(wire.to(fake), LAST, {"caller": ALICE}), 200)
        assert error["extensions"]["code"] == "category_disabled"


async def test_two_operations_need_an_operation_name(server, wire: Wire):
    document = LAST + " query Other { stanza { __typename } }"
    answer = await gql(wire, document, {"caller": ALICE})
    assert answer.status == 200
    assert answer.json() == {
        "errors": [
            {
                "extensions": {"code": "more_than_one_operation"},
                "message": "Error in execution: more_than_one_operation",
                "path": [],
            }
        ]
    }
    answer = await gql(wire, document, {"caller": ALICE}, operationName="Other")
    assert answer.json() == {"data": {"stanza": {"__typename": "StanzaAdminQuery"}}}


async def test_non_string_body_crashes_the_resolver_and_mam_off_stops_rest_archiving(
    server, wire: Wire
):
    answer = await gql(wire, SEND, {"from": ALICE, "to": BOB, "body": 5})
    assert answer.status == 200
    error = error_of(answer, 200)
    assert error["extensions"] == {"code": "resolver_crash"}
    assert error["path"] == ["stanza", "sendMessage"]
    assert server.archive_of(ALICE) == []
    server.mam_enabled = False
    assert (await wire.send(ALICE, BOB, "unarchived")).status == 204
    assert server.archive_of(ALICE) == []
