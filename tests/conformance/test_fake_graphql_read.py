"""GraphQL getLastMessages and sendMessage on FakeMongooseIM: one archive, read both ways."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fake_wire import ALICE, BOB, CAROL, T0, US, Wire, gql

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
T0_TEXT = "2023-11-14T22:13:20"  # T0 in RFC 3339, UTC


def body_of(record: dict[str, Any]) -> str | None:
    match = re.search("<body>(.*)</body>", record["stanza"])
    return None if match is None else match.group(1)


async def last(wire: Wire, **variables: Any) -> dict[str, Any]:
    answer = await gql(wire, LAST, variables)
    assert answer.status == 200, answer.body
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]["stanza"]["getLastMessages"]


async def test_send_then_read_back_with_graphql_and_rest(server: FakeMongooseIM, wire: Wire):
    server.clock_us = T0 * US + 250_000
    sent = await gql(wire, SEND, {"from": f"{ALICE}/phone", "to": BOB, "body": "Hi Bob"})
    assert sent.status == 200
    assert sent.headers["Content-Type"] == "application/json; charset=utf-8"
    stanza_id = sent.json()["data"]["stanza"]["sendMessage"]["id"]
    assert re.fullmatch(r"[0-9a-f]{16}", stanza_id)
    [stored] = server.archive_of(BOB)
    assert server.archive_of(ALICE) == [stored]
    assert stored.message_id == stanza_id
    assert T0 * US + 250_000 <= stored.time_us < T0 * US + 400_000
    page = await last(wire, caller=BOB)
    assert page == {
        "limit": 50,
        "stanzas": [
            {
                "sender": f"{ALICE}/phone",
                "timestamp": f"{T0_TEXT}.{stored.time_us % US:06d}Z",
                "stanza_id": stored.stanza_id,
                "stanza": f"<message from='{ALICE}/phone' id='{stanza_id}' to='{BOB}' "
                "type='chat'><body>Hi Bob</body></message>",
            }
        ],
    }
    assert int(stored.stanza_id, 32) >> 8 == stored.time_us
    rest = (await wire.get(f"/messages/{BOB}")).json()
    assert rest == [
        {"sender": f"{ALICE}/phone", "timestamp": T0, "message_id": stanza_id, "body": "Hi Bob"}
    ]


async def test_rest_send_and_seeded_messages_read_with_graphql(server, wire: Wire):
    server.add_message(CAROL, ALICE, at_us=T0 * US + 5, body="seeded", message_id="s1")
    server.clock_us = T0 * US + 7
    assert (await wire.send(ALICE, CAROL, "via REST")).status == 204
    page = await last(wire, caller=ALICE)
    assert [s["sender"] for s in page["stanzas"]] == [CAROL, ALICE]
    assert page["stanzas"][0]["timestamp"] == f"{T0_TEXT}.000005Z"
    assert page["stanzas"][0]["stanza"] == (
        f"<message from='{CAROL}' id='s1' to='{ALICE}' type='chat'><body>seeded</body></message>"
    )
    assert "<body>via REST</body>" in page["stanzas"][1]["stanza"]


async def test_before_is_inclusive_to_the_microsecond(server, wire: Wire):
    for delta in (-1, 0, 1):
        server.add_message(ALICE, BOB, at_us=T0 * US + 500_000 + delta, body=str(delta))
    before = f"{T0_TEXT}.500000Z"
    page = await last(wire, caller=ALICE, before=before)
    assert [s["timestamp"] for s in page["stanzas"]] == [
        f"{T0_TEXT}.499999Z",
        f"{T0_TEXT}.500000Z",
    ]
    page = await last(wire, caller=ALICE, before=f"{T0_TEXT}.499999Z")
    assert len(page["stanzas"]) == 1
    # The same instant written with an offset, and 1 µs later.
    page = await last(wire, caller=ALICE, before="2023-11-15T00:13:20.500001+02:00")
    assert len(page["stanzas"]) == 3
    # Without `before`, no bound at all; digits past the microsecond are rounded.
    assert len((await last(wire, caller=ALICE))["stanzas"]) == 3
    assert len((await last(wire, caller=ALICE, before=f"{T0_TEXT}.4999994Z"))["stanzas"]) == 1


async def test_limit_is_capped_and_the_applied_limit_reported(wire: Wire):
    async with FakeMongooseIM(max_result_limit=5) as fake:
        fake.add_user(ALICE)
        for i in range(8):
            fake.add_message(BOB, ALICE, at_us=T0 * US + i, body=f"m{i}")
        w = wire.to(fake)
        page = await last(w, caller=ALICE, limit=1000)
        assert page["limit"] == 5
        assert [body_of(s) for s in page["stanzas"]] == ["m3", "m4", "m5", "m6", "m7"]
        assert (await last(w, caller=ALICE))["limit"] == 5  # default 50, capped
        page = await last(w, caller=ALICE, limit=2)
        assert page["limit"] == 2 and len(page["stanzas"]) == 2
        fake.max_result_limit = 50
        assert (await last(w, caller=ALICE))["limit"] == 50
        assert len((await last(w, caller=ALICE, limit=None))["stanzas"]) == 8


async def test_with_bare_matches_all_resources_full_only_that_one(server, wire: Wire):
    server.add_message(f"{BOB}/phone", ALICE, at_us=T0 * US + 1, body="from phone")
    server.add_message(f"{BOB}/laptop", ALICE, at_us=T0 * US + 2, body="from laptop")
    server.add_message(ALICE, f"{BOB}/phone", at_us=T0 * US + 3, body="to phone")
    server.add_message(ALICE, BOB, at_us=T0 * US + 4, body="to bob")
    server.add_message(CAROL, ALICE, at_us=T0 * US + 5, body="from carol")

    async def bodies(**kwargs: Any) -> list[str]:
        page = await last(wire, caller=ALICE, **kwargs)
        return [body_of(s) for s in page["stanzas"]]

    assert await bodies(**{"with": BOB}) == ["from phone", "from laptop", "to phone", "to bob"]
    assert await bodies(**{"with": f"{BOB}/phone"}) == ["from phone", "to phone"]
    assert await bodies(**{"with": f"{BOB}/tablet"}) == []
    assert await bodies(**{"with": f"{BOB}/phone", "limit": 1}) == ["to phone"]
    assert await bodies(**{"with": "BOB@Wonderland.lit"}) == await bodies(**{"with": BOB})
    # REST filters the same way.
    rest = (await wire.get(f"/messages/{ALICE}/{BOB}%2Fphone")).json()
    assert [r["body"] for r in rest] == ["from phone", "to phone"]


async def test_stanza_xml_escapes_and_omits(server, wire: Wire):
    server.add_message(BOB, ALICE, at_us=T0 * US, body="Hi & <bye> 'x' \"y\"", message_id="a'b")
    server.add_message(f"{BOB}/o'clock", ALICE, at_us=T0 * US + 1, body=None, message_id="")
    server.add_message(BOB, ALICE, at_us=T0 * US + 2, body="", message_id="m<&>")
    stanzas = [s["stanza"] for s in (await last(wire, caller=ALICE))["stanzas"]]
    assert stanzas == [
        f"<message from='{BOB}' id=\"a'b\" to='{ALICE}' type='chat'>"
        "<body>Hi &amp; &lt;bye&gt; &apos;x&apos; &quot;y&quot;</body></message>",
        f"<message from=\"{BOB}/o'clock\" to='{ALICE}' type='chat'>"
        "<store xmlns='urn:xmpp:hints'/></message>",
        f"<message from='{BOB}' id='m&lt;&amp;&gt;' to='{ALICE}' type='chat'>"
        "<body></body></message>",
    ]
    assert [m.stanza for m in server.archive_of(ALICE)] == stanzas


async def test_equal_microseconds_get_distinct_stanza_ids(server, wire: Wire):
    for i in range(3):
        server.add_message(ALICE, BOB, at_us=T0 * US, body=str(i))
    page = await last(wire, caller=BOB)
    ids = [s["stanza_id"] for s in page["stanzas"]]
    assert len(set(ids)) == 3
    assert [int(i, 32) for i in ids] == [(T0 * US << 8) + n for n in range(3)]
    assert {s["timestamp"] for s in page["stanzas"]} == {f"{T0_TEXT}.000000Z"}


async def test_only_the_selected_fields_come_back(server, wire: Wire):
    server.add_message(BOB, ALICE, at_us=T0 * US, body="x")
    query = (
        '{ stanza { a: getLastMessages(caller: "alice@wonderland.lit") { stanzas { stanza_id } } '
        'b: getLastMessages(caller: "alice@wonderland.lit", limit: 1) { limit __typename } '
        "__typename } }"
    )
    answer = await gql(wire, query)
    assert answer.status == 200
    assert answer.json() == {
        "data": {
            "stanza": {
                "__typename": "StanzaAdminQuery",
                "a": {"stanzas": [{"stanza_id": server.archive_of(ALICE)[0].stanza_id}]},
                "b": {"__typename": "StanzasPayload", "limit": 1},
            }
        }
    }


async def test_include_and_skip_directives(server, wire: Wire):
    query = (
        'query Q($full: Boolean) { stanza { getLastMessages(caller: "alice@wonderland.lit") '
        "{ limit @skip(if: true) stanzas @include(if: $full) { sender } } } }"
    )
    page = await gql(wire, query)
    assert page.json() == {"data": {"stanza": {"getLastMessages": {}}}}
    page = await gql(wire, query, {"full": True})
    assert page.json() == {"data": {"stanza": {"getLastMessages": {"stanzas": []}}}}


@pytest.mark.parametrize("variables", [{}, {"limit": None, "with": None, "before": None}])
async def test_absent_or_null_arguments_take_their_defaults(server, wire: Wire, variables):
    page = await last(wire, caller=ALICE, **variables)
    assert page == {"limit": 50, "stanzas": []}


async def test_version_6_6_serves_graphql_and_sends_are_timed_by_the_clock(wire: Wire):
    async with FakeMongooseIM(version="6.6") as fake:
        fake.add_user(ALICE)
        fake.clock_us = T0 * US
        w = wire.to(fake)
        for body in ("one", "two"):
            assert (await gql(w, SEND, {"from": ALICE, "to": ALICE, "body": body})).status == 200
        page = await last(w, caller=ALICE)
        assert [s["timestamp"][:19] for s in page["stanzas"]] == [T0_TEXT, T0_TEXT]
        assert page["stanzas"][0]["timestamp"] < page["stanzas"][1]["timestamp"]
        assert len(fake.archive_of(ALICE)) == 2  # a note to self is archived once
