"""Ten places where FakeMongooseIM used to answer otherwise than MongooseIM (one test each).

The GraphQL cases are documents MongooseIM runs (a full GraphQL executor over its schema);
the expected answers come from docs/server-behaviour.md and MongooseIM's code.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from fake_wire import ALICE, BOB, CAROL, T0, US, Wire, error_of, gql

from aiomongoose.testing import FakeMongooseIM
from aiomongoose.testing._gql_schema import deps_not_loaded

LAST = "query Last($caller: JID!) { stanza { getLastMessages(caller: $caller) { limit } } }"


async def test_1_named_and_inline_fragments(server, wire: Wire):
    server.add_message(BOB, ALICE, at_us=T0 * US, body="x", message_id="m1")
    query = """
        query Q($caller: JID!) { stanza { getLastMessages(caller: $caller) {
            ... on StanzasPayload { limit }
            stanzas { ...Record }
        } } }
        fragment Record on StanzaMap { sender stanza_id }
    """
    answer = await gql(wire, query, {"caller": ALICE})
    [stored] = server.archive_of(ALICE)
    assert (answer.status, answer.json()) == (
        200,
        {
            "data": {
                "stanza": {
                    "getLastMessages": {
                        "limit": 50,
                        "stanzas": [{"sender": BOB, "stanza_id": stored.stanza_id}],
                    }
                }
            }
        },
    )


async def test_2_introspection(server, wire: Wire):
    answer = await gql(wire, "{ __schema { queryType { name } } }")
    assert (answer.status, answer.json()) == (
        200,
        {"data": {"__schema": {"queryType": {"name": "AdminQuery"}}}},
    )
    answer = await gql(wire, '{ __type(name: "StanzaMap") { kind fields { name } } }')
    assert (answer.status, answer.json()) == (
        200,
        {
            "data": {
                "__type": {
                    "kind": "OBJECT",
                    "fields": [
                        {"name": "sender"},
                        {"name": "timestamp"},
                        {"name": "stanza_id"},
                        {"name": "stanza"},
                    ],
                }
            }
        },
    )


async def test_3_boolean_variable_in_include(server, wire: Wire):
    query = (
        "query Q($full: Boolean!) { stanza { "
        'getLastMessages(caller: "alice@wonderland.lit") { limit @include(if: $full) } } }'
    )
    for full, expected in ((True, {"limit": 50}), (False, {})):
        answer = await gql(wire, query, {"full": full})
        assert (answer.status, answer.json()) == (
            200,
            {"data": {"stanza": {"getLastMessages": expected}}},
        )


async def test_4_list_users_pages_on_6_6(wire: Wire):
    query = (
        "query L($domain: DomainName!, $limit: PosInt, $index: NonNegInt) "
        "{ account { listUsers(domain: $domain, limit: $limit, index: $index) } }"
    )
    async with FakeMongooseIM(version="6.6") as fake:
        for jid in (CAROL, ALICE, BOB):
            fake.add_user(jid)
        w = wire.to(fake)

        async def page(**variables: object) -> object:
            answer = await gql(w, query, {"domain": "wonderland.lit", **variables})
            assert answer.status == 200, answer.body
            return answer.json()["data"]["account"]["listUsers"]

        assert await page() == [ALICE, BOB, CAROL]  # sorted; no limit: all
        assert await page(limit=2) == [ALICE, BOB]
        assert await page(limit=2, index=2) == [CAROL]
        assert await page(index=3) == []
        error = error_of(await gql(w, query, {"domain": "wonderland.lit", "index": -1}), 400)
        assert error["extensions"] == {"code": "input_coercion"}
        assert error["path"] == ["..", "index"]
        # A 6.5 document still works on 6.6.
        older = "query L($domain: DomainName!) { account { listUsers(domain: $domain) } }"
        answer = await gql(w, older, {"domain": "wonderland.lit"})
        assert answer.json() == {"data": {"account": {"listUsers": [ALICE, BOB, CAROL]}}}


async def test_5_subscription_posted_to_the_http_endpoint(server, wire: Wire):
    query = (
        "subscription S($caller: JID!) "
        "{ stanza { subscribeForMessages(caller: $caller) { sender stanza } } }"
    )
    answer = await gql(wire, query, {"caller": ALICE})
    assert error_of(answer, 400) == {
        "extensions": {"code": "unsupported_operation"},
        "message": "The http execution method does not support subscription operations.",
        "path": [],
    }


async def test_6_type_mismatch_says_expects(server, wire: Wire):
    query = "query Q($c: JID) { stanza { getLastMessages(caller: $c) { limit } } }"
    assert error_of(await gql(wire, query, {"c": ALICE}), 400) == {
        "extensions": {"code": "type_mismatch"},
        "message": (
            "Type mismatch. The query document has a value/variable of type (JID) "
            "but the schema expects type (JID!)"
        ),
        "path": ["Q", "stanza", "getLastMessages", "caller", "c"],
    }


async def test_7_deps_not_loaded_in_the_6_3_form(wire: Wire):
    for version in ("6.5", "6.6"):
        async with FakeMongooseIM(version=version, mam_enabled=False) as fake:
            fake.add_user(ALICE)
            answer = await gql(wire.to(fake), LAST, {"caller": ALICE})
            assert (answer.status, answer.json()) == (
                200,
                {
                    "data": {"stanza": {"getLastMessages": None}},
                    "errors": [
                        {
                            "extensions": {
                                "code": "deps_not_loaded",
                                "not_loaded_modules": ["mod_mam_pm"],
                            },
                            "message": "Some of the required modules are not loaded",
                            "path": ["stanza", "getLastMessages"],
                        }
                    ],
                },
            ), version
    # The 6.0-6.2 form, for a profile that asks for it.
    assert deps_not_loaded(["mod_mam_pm"], before_6_3=True).entry == {
        "extensions": {
            "code": "deps_not_loaded",
            "not_loaded_modules": ["mod_mam_pm"],
            "not_loaded_services": [],
        },
        "message": "Some of required modules or services are not loaded",
    }


async def test_8_stanza_attributes_sorted_by_name(server, wire: Wire):
    server.add_message(f"{BOB}/phone", ALICE, at_us=T0 * US, body="Hi & bye", message_id="m1")
    query = '{ stanza { getLastMessages(caller: "alice@wonderland.lit") { stanzas { stanza } } } }'
    answer = await gql(wire, query)
    assert answer.json()["data"]["stanza"]["getLastMessages"]["stanzas"] == [
        {
            "stanza": f"<message from='{BOB}/phone' id='m1' to='{ALICE}' type='chat'>"
            "<body>Hi &amp; bye</body></message>"
        }
    ]


async def test_9_rest_with_a_full_jid_matches_that_resource_only(server, wire: Wire):
    server.add_message(f"{BOB}/phone", ALICE, at_us=T0 * US, body="from phone")
    server.add_message(f"{BOB}/laptop", ALICE, at_us=(T0 + 1) * US, body="from laptop")
    server.add_message(ALICE, f"{BOB}/phone", at_us=(T0 + 2) * US, body="to phone")
    server.add_message(ALICE, BOB, at_us=(T0 + 3) * US, body="to bob")
    answer = await wire.get(f"/messages/{ALICE}/{quote(BOB + '/phone', safe='')}")
    assert answer.status == 200
    assert [r["body"] for r in answer.json()] == ["from phone", "to phone"]
    answer = await wire.get(f"/messages/{ALICE}/{BOB}")
    assert [r["body"] for r in answer.json()] == [
        "from phone",
        "from laptop",
        "to phone",
        "to bob",
    ]


async def test_10_a_set_clock_reads_back_as_set(server, wire: Wire):
    server.clock_us = T0 * US
    time.sleep(0.002)  # wall-clock time passes; the set clock does not move
    assert server.clock_us == T0 * US
    assert server.clock_us == T0 * US
    assert (await wire.send(ALICE, BOB)).status == 204  # archiving moves it on
    [sent] = server.archive_of(ALICE)
    assert sent.time_us == T0 * US
    assert server.clock_us == T0 * US + 1
