"""GET /messages/{owner}[/{with}]: selection, rounding, cap, errors (6.5 behaviour)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fake_wire import ALICE, BOB, CAROL, T0, US, Wire

from aiomongoose.testing import FakeMongooseIM


def _seed(server: FakeMongooseIM, count: int, start_s: int = T0) -> list[str]:
    ids = []
    for i in range(count):
        sender, to = (ALICE, BOB) if i % 2 else (BOB, ALICE)
        stored = server.add_message(sender, to, at_us=(start_s + i) * US, body=f"m{i}")
        ids.append(stored.message_id)
    return ids


async def test_record_shape_and_json_content_type(server, wire: Wire):
    server.add_message(f"{ALICE}/phone", BOB, at_us=T0 * US, body="Hi", message_id="abc")
    answer = await wire.get(f"/messages/{BOB}")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == [
        {"sender": f"{ALICE}/phone", "timestamp": T0, "message_id": "abc", "body": "Hi"}
    ]


async def test_timestamps_round_half_up(server, wire: Wire):
    for frac in (400_000, 499_999, 500_000, 600_000):
        server.add_message(ALICE, BOB, at_us=T0 * US + frac, body=str(frac))
    answer = await wire.get(f"/messages/{ALICE}")
    assert [(r["body"], r["timestamp"]) for r in answer.json()] == [
        ("400000", T0),
        ("499999", T0),
        ("500000", T0 + 1),
        ("600000", T0 + 1),
    ]


async def test_before_is_inclusive_to_the_microsecond(server, wire: Wire):
    for delta, body in ((-1, "just before"), (0, "exactly"), (1, "just after")):
        server.add_message(ALICE, BOB, at_us=T0 * US + delta, body=body)
    answer = await wire.get(f"/messages/{ALICE}?before={T0}")
    assert [r["body"] for r in answer.json()] == ["just before", "exactly"]
    answer = await wire.get(f"/messages/{ALICE}?before={T0 - 1}")
    assert answer.json() == []


async def test_newest_n_oldest_first(server, wire: Wire):
    _seed(server, 30)
    answer = await wire.get(f"/messages/{ALICE}?limit=5")
    assert [r["body"] for r in answer.json()] == ["m25", "m26", "m27", "m28", "m29"]
    assert [r["timestamp"] for r in answer.json()] == [T0 + i for i in range(25, 30)]
    answer = await wire.get(f"/messages/{ALICE}?limit=3&before={T0 + 10}")
    assert [r["body"] for r in answer.json()] == ["m8", "m9", "m10"]


async def test_equal_times_keep_insertion_order(server, wire: Wire):
    for body in ("first", "second", "third"):
        server.add_message(ALICE, BOB, at_us=T0 * US, body=body)
    server.add_message(ALICE, BOB, at_us=T0 * US - 5, body="inserted earlier")
    answer = await wire.get(f"/messages/{ALICE}?limit=2")
    assert [r["body"] for r in answer.json()] == ["second", "third"]
    assert [m.body for m in server.archive_of(ALICE)] == [
        "inserted earlier",
        "first",
        "second",
        "third",
    ]


@pytest.mark.parametrize(
    ("query", "expected"), [("", 50), ("?limit=100", 50), ("?limit=20", 20), ("?limit=0", 0)]
)
async def test_limit_is_capped_at_50(server, wire: Wire, query, expected):
    _seed(server, 120)
    answer = await wire.get(f"/messages/{ALICE}{query}")
    records = answer.json()
    assert len(records) == expected
    if expected:
        assert records[-1]["body"] == "m119"


async def test_max_result_limit_is_configurable(wire: Wire):
    async with FakeMongooseIM(max_result_limit=200) as big:
        big.add_user(ALICE)
        _seed(big, 300)
        w = wire.to(big)
        assert len((await w.get(f"/messages/{ALICE}")).json()) == 100  # default limit
        assert len((await w.get(f"/messages/{ALICE}?limit=150")).json()) == 150
        assert len((await w.get(f"/messages/{ALICE}?limit=250")).json()) == 200
        big.max_result_limit = 10
        assert len((await w.get(f"/messages/{ALICE}?limit=250")).json()) == 10


async def test_before_zero_is_the_epoch(server, wire: Wire):
    server.add_message(ALICE, BOB, at_us=T0 * US)
    assert (await wire.get(f"/messages/{ALICE}?before=0")).json() == []


async def test_before_missing_zero_and_negative(server, wire: Wire):
    server.add_message(ALICE, BOB, at_us=(T0 + 10**9) * US, body="far future")
    server.add_message(ALICE, BOB, at_us=-5 * US, body="before 1970")
    assert [r["body"] for r in (await wire.get(f"/messages/{ALICE}")).json()] == [
        "before 1970",
        "far future",
    ]
    # before=0 is the epoch: only the (unrealistic) message from before 1970 is older.
    assert [r["body"] for r in (await wire.get(f"/messages/{ALICE}?before=0")).json()] == [
        "before 1970"
    ]
    negative = await wire.get(f"/messages/{ALICE}?before=-6&limit=%2B5")
    assert negative.json() == []


async def test_with_filters_by_peer(server, wire: Wire):
    server.add_message(ALICE, BOB, at_us=T0 * US, body="to bob")
    server.add_message(f"{CAROL}/laptop", ALICE, at_us=(T0 + 1) * US, body="from carol")
    server.add_message(f"{BOB}/phone", ALICE, at_us=(T0 + 2) * US, body="from bob's phone")
    answer = await wire.get(f"/messages/{ALICE}/{BOB}")
    assert [r["body"] for r in answer.json()] == ["to bob", "from bob's phone"]
    answer = await wire.get(f"/messages/{ALICE}/{quote(BOB + '/phone', safe='')}")
    assert [r["body"] for r in answer.json()] == ["from bob's phone"]  # that resource only
    answer = await wire.get(f"/messages/{ALICE}/{CAROL}?limit=1")
    assert answer.json()[0]["sender"] == f"{CAROL}/laptop"


async def test_with_as_query_key_is_ignored_and_does_not_filter(server, wire: Wire):
    server.add_message(ALICE, BOB, at_us=T0 * US, body="to bob")
    server.add_message(ALICE, CAROL, at_us=(T0 + 1) * US, body="to carol")
    answer = await wire.get(f"/messages/{ALICE}?with={BOB}")
    assert answer.status == 200
    assert [r["body"] for r in answer.json()] == ["to bob", "to carol"]


async def test_unknown_query_key_is_rejected(server, wire: Wire):
    answer = await wire.get(f"/messages/{ALICE}?limit=5&page=2")
    assert (answer.status, answer.body) == (400, b'"Invalid query string"')
    assert "Content-Type" not in answer.headers


async def test_repeated_query_key_keeps_the_last(server, wire: Wire):
    _seed(server, 10)
    answer = await wire.get(f"/messages/{ALICE}?limit=2&limit=3")
    assert len(answer.json()) == 3


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "", "1e3", "5%20", "%EF%BC%95"])
async def test_invalid_limit(server, wire: Wire, value):
    answer = await wire.get(f"/messages/{ALICE}?limit={value}")
    assert (answer.status, answer.json()) == (400, "Invalid limit")


async def test_limit_without_value_and_signed_limits(server, wire: Wire):
    _seed(server, 10)
    assert (await wire.get(f"/messages/{ALICE}?limit")).json() == "Invalid limit"
    assert len((await wire.get(f"/messages/{ALICE}?limit=%2B4")).json()) == 4
    assert len((await wire.get(f"/messages/{ALICE}?limit=-0")).json()) == 0
    assert len((await wire.get(f"/messages/{ALICE}?limit=007")).json()) == 7


@pytest.mark.parametrize("value", ["abc", "1.5", "", "1700000000.0", "now"])
async def test_invalid_before(server, wire: Wire, value):
    answer = await wire.get(f"/messages/{ALICE}?before={value}")
    assert (answer.status, answer.json()) == (400, "Invalid value of 'before'")


async def test_error_order(server, wire: Wire):
    both = await wire.get(f"/messages/{ALICE}?limit=x&before=y")
    assert both.json() == "Invalid limit"
    owner_first = await wire.get("/messages/@wonderland.lit?nope=1")
    assert owner_first.json() == "Invalid owner JID"
    query_before_user = await wire.get("/messages/nobody@nowhere.lit?nope=1")
    assert query_before_user.json() == "Invalid query string"


@pytest.mark.parametrize(
    "owner",
    [
        "@wonderland.lit",
        "alice@",
        "al%20ice@wonderland.lit",
        "a:b@wonderland.lit",
        "a%22b@wonderland.lit",
        "a%26b@wonderland.lit",
        "alice@wonderland.lit%2F",
        "a@b@wonderland.lit",
        "x" * 1024 + "@wonderland.lit",
        "alice@wonder%20land.lit",
        "%FF@wonderland.lit",
        "a%00b@wonderland.lit",
    ],
)
async def test_invalid_owner(server, wire: Wire, owner):
    answer = await wire.get(f"/messages/{owner}")
    assert (answer.status, answer.json()) == (400, "Invalid owner JID")


async def test_empty_owner_segment_is_invalid(server, wire: Wire):
    answer = await wire.get(f"/messages//{BOB}")
    assert (answer.status, answer.json()) == (400, "Invalid owner JID")


@pytest.mark.parametrize("peer", ["@wonderland.lit", "bob@", "b%3Cb@x.lit", "bob@x.lit%2F"])
async def test_invalid_interlocutor(server, wire: Wire, peer):
    answer = await wire.get(f"/messages/{ALICE}/{peer}")
    assert (answer.status, answer.json()) == (400, "Invalid interlocutor JID")


async def test_unknown_domain_and_user(server, wire: Wire):
    answer = await wire.get("/messages/alice@nowhere.lit")
    assert (answer.status, answer.json()) == (400, "User's domain does not exist")
    answer = await wire.get("/messages/dinah@wonderland.lit")
    assert (answer.status, answer.json()) == (400, "User does not exist")
    longest = "x" * 1023 + "@wonderland.lit"
    assert (await wire.get(f"/messages/{longest}")).json() == "User does not exist"
    domain_only = await wire.get("/messages/wonderland.lit")
    assert domain_only.json() == "User does not exist"


async def test_missing_owner_is_404(server, wire: Wire):
    for path in ("/messages", "/messages/"):
        answer = await wire.get(path)
        assert (answer.status, answer.body) == (404, b'"Missing owner JID"')
        assert "Content-Type" not in answer.headers


async def test_unknown_routes_are_empty_404(server, wire: Wire):
    for path in ("/nothing", "/messages/a@b.lit/c@d.lit/e", "/users", "/users/a/b"):
        answer = await wire.get(path)
        assert (answer.status, answer.body) == (404, b""), path
    answer = await wire.request("GET", "/../api/messages")
    assert answer.status in (400, 404)


async def test_full_jid_owner_reads_the_bare_archive(server, wire: Wire):
    server.add_message(BOB, ALICE, at_us=T0 * US, body="hello alice")
    for owner in (f"{ALICE}%2Fphone", f"{ALICE}%2Fphone%2F2", "Alice@Wonderland.LIT"):
        answer = await wire.get(f"/messages/{owner}")
        assert [r["body"] for r in answer.json()] == ["hello alice"], owner


async def test_unencoded_slash_becomes_the_with_segment(server, wire: Wire):
    server.add_message(BOB, ALICE, at_us=T0 * US, body="hello alice")
    answer = await wire.get(f"/messages/{ALICE}/phone")
    assert (answer.status, answer.json()) == (200, [])
    assert server.requests[-1].segments == ("api", "messages", ALICE, "phone")
    deeper = await wire.get(f"/messages/{ALICE}/phone/2")
    assert (deeper.status, deeper.body) == (404, b"")


async def test_escaped_slash_stays_in_its_segment(server, wire: Wire):
    server.add_message(f"{BOB}/phone/2", ALICE, at_us=T0 * US, body="hi")
    answer = await wire.get(f"/messages/{ALICE}%2Fphone%2F2/{BOB}%2Fphone%2F2")
    assert answer.json()[0]["sender"] == f"{BOB}/phone/2"
    record = server.requests[-1]
    assert record.path == f"/api/messages/{ALICE}%2Fphone%2F2/{BOB}%2Fphone%2F2"
    assert record.segments == ("api", "messages", f"{ALICE}/phone/2", f"{BOB}/phone/2")


@pytest.mark.parametrize(
    "jid",
    [
        "a+b@wonderland.lit",
        "100%@wonderland.lit",
        "zoë@wonderland.lit",
        "дима@почта.рф",
        "alice@wonderland.lit",
    ],
)
async def test_encoded_jids_round_trip(wire: Wire, jid):
    resource = "my phone/2?#%+ü"
    async with FakeMongooseIM() as fake:
        fake.add_user(jid)
        fake.add_user(BOB)
        fake.add_message(f"{jid}/{resource}", f"{BOB}/x y", at_us=T0 * US, body="ü")
        fake.add_message(f"{BOB}/x y", jid, at_us=(T0 + 1) * US, body="back")
        w = wire.to(fake)
        owner = quote(jid, safe="")
        for path in (
            f"/messages/{owner}",
            f"/messages/{quote(f'{jid}/{resource}', safe='')}",
            f"/messages/{owner}/{quote(BOB + '/x y', safe='')}",
            f"/messages/{quote(BOB, safe='')}/{owner}",
        ):
            answer = await w.get(path)
            assert answer.status == 200, path
            assert [(r["sender"], r["body"]) for r in answer.json()] == [
                (f"{jid}/{resource}", "ü"),
                (f"{BOB}/x y", "back"),
            ], path


async def test_plus_in_path_is_not_a_space(wire: Wire):
    async with FakeMongooseIM() as fake:
        fake.add_user("a+b@wonderland.lit")
        fake.add_message("a+b@wonderland.lit", BOB, at_us=T0 * US)
        answer = await wire.to(fake).get("/messages/a+b@wonderland.lit")
        assert [r["sender"] for r in answer.json()] == ["a+b@wonderland.lit"]


async def test_paging_a_large_archive_by_bisect(wire: Wire):
    async with FakeMongooseIM() as fake:
        fake.add_user(ALICE)
        for i in range(100_000):
            fake.add_message(ALICE, BOB, at_us=T0 * US + i * 10_000, body=str(i))
        w = wire.to(fake)
        newest = await w.get(f"/messages/{ALICE}")
        assert [r["body"] for r in newest.json()][-1] == "99999"
        middle = await w.get(f"/messages/{ALICE}?before={T0 + 500}&limit=3")
        assert [r["body"] for r in middle.json()] == ["49998", "49999", "50000"]
