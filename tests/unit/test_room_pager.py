"""Room history is exact to the microsecond: the rooms group's wire functions and the pager
against a model of ``getRoomMessages``, without HTTP.

The model is written from docs/server-behaviour.md ("Room archives", "Archive ids and
order"), independently of the client, the pager and the fake server: a room archive of
entries kept in archive order (time, then insertion; several entries may share a
microsecond, as when cluster nodes archive at once), each with a unique stanza id that
says nothing about the order; ``before`` inclusive in microseconds, absent meaning "now";
``pageSize`` absent or above 50 becomes a fixed 50, reported as ``limit``; the newest
``limit`` entries answered oldest first, as the GraphQL JSON the server writes.

As for one-to-one archives (tests/unit/test_graphql_pager.py), a microsecond holding 50
entries or more cannot be stepped past with an inclusive ``before`` and a cap of 50: the
pager must then stop with ``StallDetected`` after delivering everything newer and the 50
it could see, never lose or repeat a message silently.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aiomongoose.models import ArchivedMessage
from aiomongoose.paging.microseconds import GraphQLPager
from aiomongoose.paging.signals import StallDetected
from aiomongoose.rooms import graphql

US = 1_000_000
BASE = 1_700_000_000 * US
CAP = 50  # getRoomMessages' fixed maximum
ROOMS = {"muc_light": "party@muclight.wonderland.lit", "muc": "tea@conference.wonderland.lit"}
AUTHORS = {
    "muc_light": ["alice@wonderland.lit", "bob@wonderland.lit"],
    "muc": ["Alice", "Mad/Hatter@tea"],  # nicks may hold / and @
}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def rfc3339(time_us: int) -> str:
    return (EPOCH + timedelta(microseconds=time_us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_rfc3339(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // timedelta(microseconds=1)


class RoomModel:
    """``getRoomMessages`` of one room, as the server answers it (GraphQL JSON)."""

    def __init__(self, kind: str, entries: list[tuple[int, str, str, str]]) -> None:
        self.kind, self.room = kind, ROOMS[kind]
        # (time_us, stanza_id, author, body); archive order: time, then insertion
        self.entries = sorted(entries, key=lambda e: e[0])
        self.times = [e[0] for e in self.entries]
        assert len({e[1] for e in entries}) == len(entries), "stanza ids are unique"
        self.now = (self.times[-1] if self.times else BASE) + 10 * US
        self.requests: list[tuple[int | None, int | None]] = []

    def answer(self, call) -> tuple[dict, int, bytes]:
        assert call.document == graphql.ROOM_MESSAGES[self.kind]
        variables = call.variables
        assert variables["room"] == self.room
        page_size = variables.get("pageSize")
        assert page_size is None or page_size >= 1, "PosInt: 0 is a 400"
        before = from_rfc3339(variables["before"]) if "before" in variables else None
        self.requests.append((before, page_size))
        size = CAP if page_size is None or page_size > CAP else page_size
        end = bisect_right(self.times, self.now if before is None else before)
        stanzas = [
            {
                "sender": f"{self.room}/{author}",
                "timestamp": rfc3339(time_us),
                "stanza_id": stanza_id,
                "stanza": f'<message type="groupchat"><body>{body}</body></message>',
            }
            for time_us, stanza_id, author, body in self.entries[max(0, end - size) : end]
        ]
        payload = {"getRoomMessages": {"stanzas": stanzas, "limit": size}}
        raw = json.dumps({"data": {self.kind: payload}})
        return json.loads(raw)["data"], 200, raw.encode()

    def newest_first(self, upper: int | None) -> list[tuple[int, str]]:
        bound = self.now if upper is None else upper
        return [(e[0], e[1]) for e in reversed(self.entries) if e[0] <= bound]


def key(record: ArchivedMessage) -> tuple[int, str]:
    assert record.timestamp_us is not None and record.stanza_id is not None
    return record.timestamp_us, record.stanza_id


def step(model: RoomModel, pager: GraphQLPager, out: list[ArchivedMessage]) -> None:
    call = graphql.recent(model.kind, model.room, pager.next_before(), pager.next_limit())
    page, applied = graphql.parse_recent(model.kind, *model.answer(call))
    out.extend(pager.advance(page, applied))


def drain(model: RoomModel, pager: GraphQLPager, out: list[ArchivedMessage]) -> None:
    guard = 3 * len(model.entries) + 10
    while not pager.done:
        guard -= 1
        assert guard > 0, "the pager loops"
        step(model, pager, out)


@st.composite
def room_archives(draw) -> tuple[str, list[tuple[int, str, str, str]]]:
    """Gaps of seconds, milliseconds, one microsecond, or none (a burst within one
    microsecond); now and then a burst of 50 or more in one microsecond."""
    kind = draw(st.sampled_from(sorted(ROOMS)))
    gaps = draw(st.lists(st.sampled_from([0, 0, 1, 1, 7, 999, US // 2, 3 * US]), max_size=140))
    times, t = [], BASE + draw(st.integers(0, US))
    for gap in gaps:
        t += gap
        times.append(t)
    if draw(st.integers(0, 3)) == 0:  # now and then a flood within one microsecond
        at = draw(st.sampled_from(times)) if times else t
        times += [at] * draw(st.integers(45, 60))
    salt = draw(st.integers(0, 1008))
    authors = AUTHORS[kind]
    entries = [
        (time_us, f"S{(i * 37 + salt) % 1009:04d}", authors[i % 2], f"m{i}")
        for i, time_us in enumerate(times[:1009])
    ]
    return kind, entries


page_sizes = st.one_of(st.none(), st.integers(1, 5), st.integers(1, 80))


def bound(model: RoomModel, data) -> int | None:
    choices = [st.none(), st.integers(BASE, BASE + 200 * US)]
    if model.times:
        at = st.sampled_from(model.times)
        choices += [at, at.map(lambda t: t - 1), at.map(lambda t: t + 1)]
    return data.draw(st.one_of(*choices), label="before")


@FAST
@given(room_archives(), page_sizes, st.data())
def test_room_history_is_exact_or_stops_at_a_flood(archive, page_size, data):
    kind, entries = archive
    model = RoomModel(kind, entries)
    upper = bound(model, data)
    full = model.newest_first(upper)
    counts = Counter(t for t, _ in full)
    flooded = [t for t, n in counts.items() if n >= CAP]
    pager = GraphQLPager.start(upper, page_size, None)
    out: list[ArchivedMessage] = []
    event("flood" if flooded else "exact")
    if not flooded:
        drain(model, pager, out)
        assert [key(r) for r in out] == full  # nothing lost, nothing twice, newest first
    else:
        with pytest.raises(StallDetected):
            drain(model, pager, out)
        newer = sum(1 for t, _ in full if t > max(flooded))
        assert [key(r) for r in out] == full[: newer + CAP]
    for record in out:
        assert record.room == model.room and record.author in AUTHORS[kind]
    # the first request carries the caller's bound and page size; none asks for 0
    assert model.requests[0] == (upper, page_size)


@FAST
@given(room_archives(), page_sizes, st.data())
def test_room_history_resumes_exactly_from_a_json_cursor(archive, page_size, data):
    kind, entries = archive
    model = RoomModel(kind, entries)
    upper = bound(model, data)
    full = model.newest_first(upper)
    if any(n >= CAP for n in Counter(t for t, _ in full).values()):
        return  # the flood is covered above
    pager = GraphQLPager.start(upper, page_size, None)
    out: list[ArchivedMessage] = []
    cursor = None
    for _ in range(data.draw(st.integers(0, 6), label="requests before")):
        if pager.done:
            break
        prior = pager.snapshot()
        call = graphql.recent(kind, model.room, pager.next_before(), pager.next_limit())
        new = pager.advance(*graphql.parse_recent(kind, *model.answer(call)))
        taken = data.draw(st.integers(0, len(new)), label="consumed")
        if taken < len(new):  # stop inside a page, as an export killed mid-page
            cursor = pager.cursor_after(prior, new[:taken])
            out.extend(new[:taken])
            break
        out.extend(new)
    if cursor is None:
        cursor = pager.state.to_json()
    saved = json.loads(json.dumps(cursor))
    resumed = GraphQLPager.start(None, page_size, saved)
    rest: list[ArchivedMessage] = []
    drain(model, resumed, rest)
    assert [key(r) for r in out + rest] == full


def test_a_page_size_above_the_cap_pages_by_the_reported_limit():
    entries = [(BASE + i, f"S{i}", "alice@wonderland.lit", "x") for i in range(120)]
    model = RoomModel("muc_light", entries)
    out: list[ArchivedMessage] = []
    drain(model, GraphQLPager.start(None, 500, None), out)
    assert [key(r) for r in out] == model.newest_first(None)
    assert [size for _, size in model.requests] == [500, 500, 500]  # answered 50, 50, 20


def test_a_burst_within_one_microsecond_across_pages_is_delivered_whole():
    burst = [(BASE + 5, f"B{i}", "alice@wonderland.lit", "b") for i in range(7)]
    older = [(BASE + i, f"O{i}", "bob@wonderland.lit", "o") for i in range(3)]
    model = RoomModel("muc", older + burst)
    out: list[ArchivedMessage] = []
    drain(model, GraphQLPager.start(None, 3, None), out)
    assert [key(r) for r in out] == model.newest_first(None)
    # the pager asked for more than the page size to step past the burst's microsecond
    assert any(size is not None and size > 3 for _, size in model.requests)


def test_fifty_in_one_microsecond_stop_the_history_after_what_it_could_see():
    flood = [(BASE + 9, f"F{i:02d}", "Alice", "f") for i in range(52)]
    newer = [(BASE + 10, "N", "Alice", "n")]
    older = [(BASE + 1, "O", "Alice", "o")]
    model = RoomModel("muc", older + flood + newer)
    out: list[ArchivedMessage] = []
    with pytest.raises(StallDetected):
        drain(model, GraphQLPager.start(None, None, None), out)
    assert [key(r) for r in out] == model.newest_first(None)[: 1 + CAP]
