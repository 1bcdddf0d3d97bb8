"""version="3.7": plain-text errors, 500s, no cap below 500, before=0 means now."""

from __future__ import annotations

import pytest
from fake_wire import ALICE, BOB, T0, US, Wire

from aiomongoose.testing import FakeMongooseIM


@pytest.fixture
async def legacy():
    async with FakeMongooseIM(version="3.7", max_result_limit=50) as fake:
        fake.add_user(ALICE)
        fake.add_user(BOB)
        yield fake


async def test_limit_is_not_capped_below_500(legacy, wire: Wire):
    for i in range(600):
        legacy.add_message(ALICE, BOB, at_us=(T0 + i) * US, body=str(i))
    w = wire.to(legacy)
    assert len((await w.get(f"/messages/{ALICE}")).json()) == 100
    assert len((await w.get(f"/messages/{ALICE}?limit=120")).json()) == 120
    records = (await w.get(f"/messages/{ALICE}?limit=500")).json()
    assert (len(records), records[0]["body"], records[-1]["body"]) == (500, "100", "599")


async def test_limit_above_500_is_a_500(legacy, wire: Wire):
    answer = await wire.to(legacy).get(f"/messages/{ALICE}?limit=501")
    assert (answer.status, answer.body) == (500, b"Invalid limit")


async def test_plain_text_errors(legacy, wire: Wire):
    w = wire.to(legacy)
    expected = [
        (f"/messages/{ALICE}?limit=x", 400, "Invalid limit"),
        (f"/messages/{ALICE}?before=x", 400, "Invalid value of 'before'"),
        (f"/messages/{ALICE}?page=1", 400, "Invalid query string"),
        ("/messages/@bad", 500, "Invalid owner JID"),
        (f"/messages/{ALICE}/bob@", 500, "Invalid interlocutor JID"),
        ("/messages/x@nowhere.lit", 400, "User's domain does not exist"),
        ("/messages/x@wonderland.lit", 400, "User does not exist"),
        ("/messages", 404, "Missing owner JID"),
    ]
    for path, status, text in expected:
        answer = await w.get(path)
        assert (answer.status, answer.body.decode()) == (status, text), path
        assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    answer = await w.post(json={"caller": ALICE, "to": BOB})
    assert (answer.status, answer.body) == (400, b"Missing message body")


async def test_missing_or_zero_before_means_now_plus_a_million_seconds(legacy, wire: Wire):
    now = legacy.clock_us
    legacy.add_message(ALICE, BOB, at_us=now - US, body="past")
    legacy.add_message(ALICE, BOB, at_us=now + 10**6 * US - 10 * US, body="in 11.57 days")
    legacy.add_message(ALICE, BOB, at_us=now + 10**6 * US + 10 * US, body="too far")
    w = wire.to(legacy)
    for query in ("", "?before=0"):
        answer = await w.get(f"/messages/{ALICE}{query}")
        assert [r["body"] for r in answer.json()] == ["past", "in 11.57 days"], query
    answer = await w.get(f"/messages/{ALICE}?before={(now + 20 * 10**6 * US) // US}")
    assert len(answer.json()) == 3


async def test_clock_drives_the_3_7_bound(legacy, wire: Wire):
    legacy.add_message(ALICE, BOB, at_us=T0 * US, body="then")
    legacy.clock_us = (T0 - 2 * 10**6) * US
    assert (await wire.to(legacy).get(f"/messages/{ALICE}")).json() == []


async def test_users_of_an_unknown_domain(legacy, wire: Wire):
    w = wire.to(legacy)
    assert (await w.get("/users/nowhere.lit")).json() == []
    assert (await w.get("/users/wonderland.lit")).json() == [ALICE, BOB]


def test_versions():
    assert FakeMongooseIM(version="3.7").version == "3.7"
    assert FakeMongooseIM().version == "6.5"
    assert FakeMongooseIM(version="6.6").version == "6.6"  # GraphQL only
    with pytest.raises(ValueError):
        FakeMongooseIM(version="5.0")
    with pytest.raises(ValueError):
        FakeMongooseIM(max_result_limit=0)
