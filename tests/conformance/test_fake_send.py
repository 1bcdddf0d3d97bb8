"""POST /messages and the seeding helpers: what is archived where, and every error."""

from __future__ import annotations

import re

import pytest
from fake_wire import ALICE, BOB, CAROL, T0, US, Wire

from aiomongoose.testing import FakeMongooseIM


async def test_send_archives_in_both_archives(server, wire: Wire):
    answer = await wire.send(f"{ALICE}/phone", BOB, "Hi Bob")
    assert (answer.status, answer.body) == (204, b"")
    [in_alice] = server.archive_of(ALICE)
    [in_bob] = server.archive_of(BOB)
    assert in_alice is in_bob
    assert in_alice.sender == f"{ALICE}/phone"
    assert in_alice.recipient == BOB
    assert in_alice.body == "Hi Bob"
    assert re.fullmatch(r"[0-9a-f]{16}", in_alice.message_id)
    records = (await wire.get(f"/messages/{BOB}")).json()
    assert records == [
        {
            "sender": f"{ALICE}/phone",
            "timestamp": in_alice.timestamp,
            "message_id": in_alice.message_id,
            "body": "Hi Bob",
        }
    ]
    assert server.archive_of(CAROL) == []


async def test_message_to_oneself_is_archived_once(server, wire: Wire):
    assert (await wire.send(ALICE, f"{ALICE}/laptop", "note to self")).status == 204
    assert [m.body for m in server.archive_of(ALICE)] == ["note to self"]
    assert len((await wire.get(f"/messages/{ALICE}")).json()) == 1
    assert len((await wire.get(f"/messages/{ALICE}/{ALICE}")).json()) == 1


async def test_recipient_is_not_checked(server, wire: Wire):
    for to in ("hatter@tea.party", "dinah@wonderland.lit", "tea.party/x"):
        assert (await wire.send(ALICE, to)).status == 204
    assert [m.recipient for m in server.archive_of(ALICE)] == [
        "hatter@tea.party",
        "dinah@wonderland.lit",
        "tea.party/x",
    ]
    assert server.archive_of("dinah@wonderland.lit") == []


async def test_sends_get_increasing_times_from_the_clock(server, wire: Wire):
    server.clock_us = T0 * US + 400_000
    for _ in range(5):
        await wire.send(ALICE, BOB)
    times = [m.time_us for m in server.archive_of(ALICE)]
    assert times == sorted(set(times))
    assert T0 * US + 400_000 <= times[0] < times[-1] < T0 * US + 600_000
    assert server.clock_us > times[-1]
    server.clock_us = 1_000 * US  # the clock can go back
    await wire.send(ALICE, BOB, "old")
    assert server.archive_of(ALICE)[0].body == "old"


async def test_content_type_must_be_json(server, wire: Wire):
    body = b'{"caller": "alice@wonderland.lit", "to": "bob@wonderland.lit", "body": "x"}'
    for headers in ({"Content-Type": "text/plain"}, {}, {"Content-Type": "application/xml"}):
        answer = await wire.post(data=body, headers=headers)
        assert (answer.status, answer.body) == (415, b""), headers
    ok = await wire.post(data=body, headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert ok.status == 204
    assert len(server.archive_of(ALICE)) == 1


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        ({}, "Missing sender JID"),
        ({"to": BOB, "body": "x"}, "Missing sender JID"),
        ({"caller": "alice@", "to": BOB, "body": "x"}, "Invalid sender JID"),
        ({"caller": "", "to": BOB, "body": "x"}, "Invalid sender JID"),
        ({"caller": 42, "to": BOB, "body": "x"}, "Invalid sender JID"),
        ({"caller": None, "to": BOB, "body": "x"}, "Invalid sender JID"),
        ({"caller": ALICE, "body": "x"}, "Missing recipient JID"),
        ({"caller": ALICE, "to": "@wonderland.lit", "body": "x"}, "Invalid recipient JID"),
        ({"caller": ALICE, "to": f"{BOB}/", "body": "x"}, "Invalid recipient JID"),
        ({"caller": ALICE, "to": BOB}, "Missing message body"),
        ({"caller": ALICE, "to": BOB, "body": 5}, "Invalid request body"),
        ({"caller": ALICE, "to": BOB, "body": "x", "priority": 1}, "Invalid request body"),
        ({"caller": "alice@nowhere.lit", "to": BOB, "body": "x"}, "User's domain does not exist"),
        ({"caller": "dinah@wonderland.lit", "to": BOB, "body": "x"}, "User does not exist"),
        ({"caller": "wonderland.lit", "to": BOB, "body": "x"}, "User does not exist"),
    ],
)
async def test_send_errors(server, wire: Wire, payload, text):
    answer = await wire.post(json=payload)
    assert (answer.status, answer.json()) == (400, text)
    assert "Content-Type" not in answer.headers
    assert server.archive_of(ALICE) == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'"text"', b"null", b"\xff{}"])
async def test_undecodable_or_non_object_body(server, wire: Wire, raw):
    answer = await wire.post(data=raw, headers={"Content-Type": "application/json"})
    assert (answer.status, answer.json()) == (400, "Invalid request body")


async def test_known_json_keys_are_ignored(server, wire: Wire):
    payload = {"caller": ALICE, "to": BOB, "body": "x", "id": "mine", "type": "chat"}
    assert (await wire.post(json=payload)).status == 204
    assert server.archive_of(BOB)[0].message_id != "mine"


async def test_post_on_an_owner_path_sends_too(server, wire: Wire):
    answer = await wire.post(f"/messages/{CAROL}", json={"caller": ALICE, "to": BOB, "body": "x"})
    assert answer.status == 204
    assert server.archive_of(CAROL) == []
    assert len(server.archive_of(BOB)) == 1


async def test_seeded_bodyless_and_idless_messages(server, wire: Wire):
    server.add_message(ALICE, BOB, at_us=T0 * US, body=None, message_id="")
    server.add_message(ALICE, BOB, at_us=T0 * US + 1, body="", message_id="dup")
    server.add_message(ALICE, BOB, at_us=T0 * US + 2, body="undefined", message_id="dup")
    server.add_message(ALICE, BOB, at_us=T0 * US + 3)
    records = (await wire.get(f"/messages/{BOB}")).json()
    assert [(r["body"], r["message_id"]) for r in records[:3]] == [
        ("undefined", ""),
        ("", "dup"),
        ("undefined", "dup"),
    ]
    assert records[3]["body"] == "Hello!"
    assert re.fullmatch(r"[0-9a-f]{16}", records[3]["message_id"])
    assert server.archive_of(BOB)[0].body is None


async def test_add_message_stores_only_for_registered_parties():
    fake = FakeMongooseIM()  # seeding needs no running server
    fake.add_user(ALICE)
    fake.add_message("hatter@tea.party/hat", ALICE, at_us=T0 * US)
    fake.add_message("hatter@tea.party", "queen@hearts.example", at_us=T0 * US)
    fake.add_message(ALICE, ALICE, at_us=T0 * US)
    assert len(fake.archive_of(ALICE)) == 2
    assert fake.archive_of("hatter@tea.party") == []
    assert fake.archive_of(f"{ALICE}/any") == fake.archive_of(ALICE)
    stored = fake.archive_of(ALICE)[0]
    assert (stored.sender, stored.time_us, stored.timestamp) == (
        "hatter@tea.party/hat",
        T0 * US,
        T0,
    )


def test_seeding_validates_arguments():
    fake = FakeMongooseIM()
    with pytest.raises(ValueError):
        fake.add_user("alice@")
    with pytest.raises(ValueError):
        fake.add_message("@x", BOB, at_us=0)
    with pytest.raises(TypeError):
        fake.add_message(ALICE, BOB, at_us=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fake.add_message(ALICE, BOB, at_us=True)
    with pytest.raises(TypeError):
        fake.clock_us = 1.5  # type: ignore[assignment]
