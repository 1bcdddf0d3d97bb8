"""The GraphQL backward pager against a model of the server, without HTTP.

The model is written from docs/server-behaviour.md ("GraphQL reading and sending", "Paging
backwards over GraphQL"), independently of the pager and of the fake server: an archive of
``(time_us, stanza_id, record)`` in archive order (time, then insertion; stanza ids are
unique but say nothing about the order), ``before`` inclusive in microseconds (``None``: no
bound), the newest ``min(limit or 50, cap)`` entries answered oldest first, together with the
limit that was applied.

What the properties rest on. Let ``P`` be the applied limit and ``c_t`` the number of entries
at microsecond ``t``. A request at ``before = t`` answers the newest ``P`` entries at or
before ``t``; the delivered entries at ``t`` are the newest ones at ``t``, so they end that
answer. When ``c_t >= P`` the answer is ``P`` entries at ``t``, all of them delivered after
one more request, and no inclusive ``before`` steps past them; with ``P`` equal to the
server's cap this cannot be told apart from ``P + 1`` entries at ``t``, so ``StallDetected``
is the only safe answer. When every ``c_t < P``, each full answer brings at least
``P - max(c_t)`` new entries, which bounds the number of requests (see ``request_bound``).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import Counter

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aiomongoose.errors import InvalidArgumentError
from aiomongoose.models import ArchivedMessage, GraphQLArchivedMessage, MessageList
from aiomongoose.paging.microseconds import GraphQLCursor, GraphQLPager
from aiomongoose.paging.seconds_cursor import CursorState
from aiomongoose.paging.signals import Inconsistent, StallDetected

US = 1_000_000
BASE = 1_700_000_000 * US
DEFAULT_LIMIT = 50  # the server's default `limit`
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rec(time_us: int, stanza_id: str, mid: str = "", body: str | None = "hi") -> ArchivedMessage:
    return GraphQLArchivedMessage(
        "bob@localhost/phone",
        (time_us + US // 2) // US,
        mid,
        body,
        stanza_id=stanza_id,
        stanza=f"<message id='{mid}'><body>{body}</body></message>",
        timestamp_us=time_us,
    )


def us(record: ArchivedMessage) -> int:
    assert record.timestamp_us is not None
    return record.timestamp_us


class ModelServer:
    """``getLastMessages`` over one archive, as the real server answers it."""

    def __init__(self, records: list[ArchivedMessage], cap: int = 50) -> None:
        # stable sort: archive order is time, then insertion
        self.records = sorted(records, key=us)
        self.times = [us(r) for r in self.records]
        assert len({r.stanza_id for r in records}) == len(records), "stanza ids are unique"
        self.cap = cap
        self.requests: list[tuple[int | None, int | None]] = []

    def applied(self, limit: int | None) -> int:
        assert limit is None or limit >= 1, "the server answers limit: 0 with a 400"
        return min(DEFAULT_LIMIT if limit is None else limit, self.cap)

    def page(self, before_us: int | None, limit: int | None) -> tuple[MessageList, int]:
        self.requests.append((before_us, limit))
        size = self.applied(limit)
        end = len(self.times) if before_us is None else bisect_right(self.times, before_us)
        return MessageList(self.records[max(0, end - size) : end]), size

    def newest_first(self, upper: int | None = None) -> list[ArchivedMessage]:
        return [r for r in reversed(self.records) if upper is None or us(r) <= upper]


def check_invariants(pager: GraphQLPager, out: list[ArchivedMessage]) -> None:
    """The cursor remembers exactly the delivered ids at the oldest delivered microsecond."""
    state = pager.state
    if state.oldest_us is None:
        assert state.seen == []
        return
    assert out and out[-1].timestamp_us == state.oldest_us
    at_oldest: list[str | None] = []
    for r in reversed(out):  # out is newest first: the oldest microsecond ends it
        if r.timestamp_us != state.oldest_us:
            break
        at_oldest.append(r.stanza_id)
    assert sorted(state.seen) == sorted(map(str, at_oldest))
    assert None not in at_oldest
    assert len(state.seen) == len(set(state.seen))


def step(
    server: ModelServer, pager: GraphQLPager, out: list[ArchivedMessage], skip: list[int] | None
) -> None:
    """One request and its answer, appended to ``out``. With ``skip``, a stall is skipped and
    its second collected there; otherwise StallDetected propagates."""
    page, applied = server.page(pager.next_before(), pager.next_limit())
    try:
        out.extend(pager.advance(page, applied))
    except StallDetected:
        if skip is None:
            raise
        stuck = pager.state.oldest_us
        assert stuck is not None
        skip.append(pager.skip_stall())
        assert skip[-1] == stuck // US
        assert pager.next_before() == stuck - 1
        assert pager.state.seen == []
    check_invariants(pager, out)


def drain(
    server: ModelServer,
    pager: GraphQLPager,
    out: list[ArchivedMessage] | None = None,
    *,
    skip: list[int] | None = None,
) -> list[ArchivedMessage]:
    """Run the pager to the end, appending to ``out`` (see ``step``)."""
    out = [] if out is None else out
    guard = 3 * len(server.records) + 10
    while not pager.done:
        guard -= 1
        assert guard > 0, "the pager loops"
        step(server, pager, out, skip)
    return out


def request_bound(n: int, page: int, densest: int) -> int:
    """Most requests for ``n`` entries, applied limit ``page``, at most ``densest < page``
    entries at one microsecond: the first full answer brings ``page`` entries, every later
    full one at least ``page - densest``; the answer that ends it is short. (The simpler
    ``ceil(n / page) + 2`` does not hold: with distinct times and ``page = 2`` every answer
    after the first brings one new entry, so ten entries take ten requests.)"""
    if n < page:
        return 1
    if densest >= page:  # the pager asks for more than the page here: one new entry at least
        return n + 2
    return 2 + (n - page) // (page - densest)


# -- archives ----------------------------------------------------------------------------


def _gap(byte: int) -> int:
    kind, k = byte % 4, byte // 4  # k in 0..63
    if kind == 0:
        return 1 + k % 3  # a burst, a microsecond or three apart
    if kind == 1:
        return 1 + (k * 37) % 1000
    if kind == 2:
        return US // 2 + k * 70_000  # half a second to five seconds
    return (1, US // 2, US)[k % 3]


def _run(byte: int) -> int:
    """How many entries share one microsecond: mostly one, often a few, sometimes many."""
    if byte < 128:
        return 1
    return 1 + byte % 4 if byte < 200 else 1 + byte % 14


@st.composite
def archives(draw, max_size: int = 120) -> list[ArchivedMessage]:
    """Runs of equal microseconds, bursts a microsecond apart, gaps up to seconds."""
    # One draw of raw bytes, decoded two per group: generating is cheap and shrinks to
    # evenly spaced single entries.
    size = draw(st.integers(0, 80))
    raw = draw(st.binary(min_size=size, max_size=size))
    times: list[int] = []
    t = BASE + draw(st.integers(0, US))
    for gap, run in zip(raw[::2], raw[1::2], strict=False):  # an odd last byte is unused
        t += _gap(gap)
        times.extend([t] * _run(run))
    times = times[:max_size]
    # unique stanza ids in an order unrelated to time (1009 is prime, 37 a unit mod 1009);
    # message ids blank or repeated, some bodies missing: the pager must not rely on them
    salt = draw(st.integers(0, 1008))
    keys = [(i * 37 + salt) % 1009 for i in range(len(times))]
    return [
        rec(time, f"S{k:04d}", ("", "dup", "m1")[k % 3], None if k % 4 == 0 else "hi")
        for k, time in zip(keys, times, strict=True)
    ]


def densest(server: ModelServer, upper: int | None = None) -> int:
    counts = Counter(t for t in server.times if upper is None or t <= upper)
    return max(counts.values(), default=0)


def first_stuck(server: ModelServer, page: int, upper: int | None) -> int | None:
    """The newest microsecond (within the bound) holding a page's worth of entries."""
    counts = Counter(t for t in server.times if upper is None or t <= upper)
    stuck = [t for t, c in counts.items() if c >= page]
    return max(stuck) if stuck else None


def bounds(server: ModelServer, data: st.DataObject) -> int | None:
    """An upper bound: none, an entry's time (inclusive edge), one microsecond off, anything."""
    choices: list[st.SearchStrategy[int | None]] = [
        st.none(),
        st.integers(BASE, BASE + 100 * US),
    ]
    if server.times:
        at = st.sampled_from(server.times)
        choices += [at, at.map(lambda t: t - 1), at.map(lambda t: t + 1)]
    upper: int | None = data.draw(st.one_of(*choices), label="upper")
    return upper


limits = st.one_of(st.none(), st.integers(1, 10), st.integers(1, 60))
caps = st.one_of(st.integers(1, 10), st.integers(1, 30))


# -- properties --------------------------------------------------------------------------


@FAST
@given(archives(), caps, limits, st.data())
def test_drain_yields_the_archive_newest_first_or_a_justified_stall(records, cap, limit, data):
    server = ModelServer(records, cap)
    upper = bounds(server, data)
    page = server.applied(limit)
    full = server.newest_first(upper)
    pager = GraphQLPager.start(upper, limit, None)
    out: list[ArchivedMessage] = []
    # The pager asks for one more than it delivered at the oldest microsecond, so only the
    # server's cap can leave it stuck there.
    stuck = first_stuck(server, cap, upper)
    event("stall" if stuck is not None else "complete")
    event(f"archive: {min(len(full) // page, 4)}+ pages")
    if stuck is None:
        drain(server, pager, out)
        assert out == full
        assert len(server.requests) <= request_bound(len(full), page, densest(server, upper))
    else:
        with pytest.raises(StallDetected) as info:
            drain(server, pager, out)
        # everything newer than the stuck microsecond, then the newest page's worth at it
        newer = sum(1 for r in full if us(r) > stuck)
        assert out == full[: newer + cap]
        assert info.value.timestamp == stuck // US
        assert info.value.delivered_at_timestamp == cap
        assert pager.state.oldest_us == stuck
    # the bound is inclusive; requests ask for the caller's limit, more only when needed
    assert server.requests[0] == (upper, limit)
    for _, lim in server.requests:
        assert lim == limit or (lim is not None and lim > (limit or DEFAULT_LIMIT))


@FAST
@given(archives(), caps, limits, st.data())
def test_skip_stall_continues_strictly_below_the_stuck_microsecond(records, cap, limit, data):
    server = ModelServer(records, cap)
    upper = bounds(server, data)
    skipped: list[int] = []
    out = drain(server, GraphQLPager.start(upper, limit, None), skip=skipped)
    # every microsecond keeps its newest min(count, cap) entries; nothing else is lost
    kept: Counter[int] = Counter()
    expected = []
    for r in server.newest_first(upper):
        if kept[us(r)] < cap:
            kept[us(r)] += 1
            expected.append(r)
    assert out == expected
    counts = Counter(t for t in server.times if upper is None or t <= upper)
    assert skipped == [t // US for t in sorted(counts, reverse=True) if counts[t] >= cap]


@FAST
@given(archives(), caps, limits, st.data())
def test_resume_from_a_json_cursor_yields_exactly_the_rest(records, cap, limit, data):
    server = ModelServer(records, cap)
    upper = bounds(server, data)
    # the uninterrupted run, stalls skipped
    whole = drain(ModelServer(records, cap), GraphQLPager.start(upper, limit, None), skip=[])
    limit2 = data.draw(st.one_of(st.just(limit), limits), label="resume limit")
    if limit2 == limit:
        expected = whole
    elif first_stuck(server, cap, upper) is None:
        expected = server.newest_first(upper)  # another page size is fine
    else:
        return  # different stalls for different page sizes
    pager = GraphQLPager.start(upper, limit, None)
    out: list[ArchivedMessage] = []
    for _ in range(data.draw(st.integers(0, 8), label="requests before")):
        if pager.done:
            break
        step(server, pager, out, [])
    saved = json.loads(json.dumps(pager.state.to_json()))
    state = GraphQLCursor.from_json(saved)
    assert state == pager.state
    if limit2 != limit or data.draw(st.booleans(), label="via start"):
        resumed = GraphQLPager.start(None, limit2, saved)
        needed = len(saved["seen"]) + 1
        if limit2 is None:
            assert resumed.next_limit() == (None if needed <= DEFAULT_LIMIT else needed)
        else:
            assert resumed.next_limit() == max(limit2, needed)
    else:
        resumed = GraphQLPager(state)
    assert resumed.next_before() == pager.next_before()
    assert resumed.done == pager.done
    rest = drain(server, resumed, list(out), skip=[])[len(out) :]
    assert out + rest == expected
    if pager.done:
        assert rest == []


@FAST
@given(archives(), caps, limits, st.data())
def test_cursor_after_part_of_a_page_resumes_exactly(records, cap, limit, data):
    server = ModelServer(records, cap)
    upper = bounds(server, data)
    whole = drain(ModelServer(records, cap), GraphQLPager.start(upper, limit, None), skip=[])
    pager = GraphQLPager.start(upper, limit, None)
    out: list[ArchivedMessage] = []
    for _ in range(data.draw(st.integers(0, 6), label="requests before")):
        if pager.done:
            return
        step(server, pager, out, [])
    new: list[ArchivedMessage] = []
    while not new:  # as History does: the snapshot before the answer that brings something
        if pager.done:
            return
        prior = pager.snapshot()
        try:
            new = pager.advance(*server.page(pager.next_before(), pager.next_limit()))
        except StallDetected:
            pager.skip_stall()
    # the snapshot is a copy: advancing did not change it
    assert prior.seen is not pager.state.seen
    taken = data.draw(st.integers(0, len(new)), label="consumed")
    cursor = json.loads(json.dumps(pager.cursor_after(prior, new[:taken])))
    if taken == 0:
        assert cursor == prior.to_json()
    if taken == len(new):
        assert cursor == {**pager.state.to_json(), "done": False}
    done = out + new[:taken]
    rest = drain(server, GraphQLPager.start(None, limit, cursor), list(done), skip=[])
    assert rest == whole


# -- examples ----------------------------------------------------------------------------


def run(server: ModelServer, upper: int | None, limit: int | None) -> list[ArchivedMessage]:
    return drain(server, GraphQLPager.start(upper, limit, None))


def test_empty_archive_takes_one_request():
    server = ModelServer([])
    assert run(server, None, None) == []
    assert server.requests == [(None, None)]


def test_distinct_times_request_sequence_and_tight_bound():
    records = [rec(BASE + i * US, f"S{i}") for i in range(5)]  # t0 < ... < t4
    server = ModelServer(records, cap=50)
    assert run(server, None, 2) == server.newest_first()
    befores = [b for b, _ in server.requests]
    assert befores == [None, BASE + 3 * US, BASE + 2 * US, BASE + US, BASE]
    assert len(befores) == request_bound(5, 2, 1) == 5


def test_group_straddling_a_page_boundary_is_delivered_whole():
    older = [rec(BASE + i * US, f"o{i}") for i in range(4)]
    burst = [rec(BASE + 10 * US, f"b{i}") for i in range(3)]  # three at one microsecond
    newer = [rec(BASE + 11 * US, "n1"), rec(BASE + 12 * US, "n2")]
    server = ModelServer(older + burst + newer, cap=4)
    pager = GraphQLPager.start(None, None, None)
    first = pager.advance(*server.page(pager.next_before(), pager.next_limit()))
    assert [r.stanza_id for r in first] == ["n2", "n1", "b2", "b1"]
    assert pager.next_before() == BASE + 10 * US  # the oldest time itself, inclusive
    assert sorted(pager.state.seen) == ["b1", "b2"]
    second = pager.advance(*server.page(pager.next_before(), pager.next_limit()))
    assert [r.stanza_id for r in second] == ["b0", "o3"]  # b0 is not lost
    rest = drain(server, pager)
    assert first + second + rest == server.newest_first()


def test_limit_above_the_cap_uses_the_applied_limit():
    records = [rec(BASE + i * 1000, f"S{i}") for i in range(10)]
    server = ModelServer(records, cap=3)
    assert run(server, None, 100) == server.newest_first()
    assert len(server.requests) == request_bound(10, 3, 1) == 5


def test_upper_bound_is_inclusive_to_the_microsecond():
    t = BASE + 123_456
    records = [rec(t - 1, "before"), rec(t, "at1"), rec(t, "at2"), rec(t + 1, "after")]
    server = ModelServer(records, cap=50)
    assert [r.stanza_id for r in run(server, t, None)] == ["at2", "at1", "before"]
    assert server.requests[0] == (t, None)
    assert [r.stanza_id for r in run(ModelServer(records), t - 1, None)] == ["before"]


def test_full_page_at_one_microsecond_stalls_after_one_more_request():
    older = [rec(BASE + i, f"o{i}") for i in range(3)]
    burst = [rec(BASE + US, f"b{i}") for i in range(7)]
    server = ModelServer(older + burst, cap=5)
    pager = GraphQLPager.start(None, None, None)
    out: list[ArchivedMessage] = []
    with pytest.raises(StallDetected) as info:
        drain(server, pager, out)
    assert [r.stanza_id for r in out] == ["b6", "b5", "b4", "b3", "b2"]
    assert server.requests == [(None, None), (BASE + US, None)]
    assert (info.value.timestamp, info.value.delivered_at_timestamp) == (BASE // US + 1, 5)
    assert pager.skip_stall() == BASE // US + 1
    assert pager.next_before() == BASE + US - 1 and not pager.done
    assert [r.stanza_id for r in drain(server, pager)] == ["o2", "o1", "o0"]


def test_skip_stall_at_the_epoch_ends():
    server = ModelServer([rec(0, f"e{i}") for i in range(3)], cap=2)
    pager = GraphQLPager.start(None, None, None)
    with pytest.raises(StallDetected):
        drain(server, pager)
    assert pager.skip_stall() == 0
    assert pager.done


def test_short_page_ends_without_another_request():
    server = ModelServer([rec(BASE + i, f"S{i}") for i in range(3)], cap=50)
    assert len(run(server, None, 5)) == 3
    assert server.requests == [(None, 5)]


def test_page_of_exactly_the_limit_needs_one_more_request():
    server = ModelServer([rec(BASE + i, f"S{i}") for i in range(5)], cap=50)
    assert len(run(server, None, 5)) == 5
    assert server.requests == [(None, 5), (BASE, 5)]


@pytest.mark.parametrize(
    ("times", "page_size"),
    [([BASE], 1), ([BASE, BASE + 7], 1), ([BASE - US, BASE, BASE, BASE], 3)],
)
def test_exactly_a_page_size_at_one_microsecond_below_the_cap_does_not_stall(times, page_size):
    server = ModelServer([rec(t, f"S{i}") for i, t in enumerate(times)], cap=50)
    assert run(server, None, page_size) == server.newest_first()


# -- advance() rejects what the server cannot answer --------------------------------------


def test_unsorted_page_is_inconsistent():
    pager = GraphQLPager.start(None, None, None)
    with pytest.raises(Inconsistent):
        pager.advance([rec(BASE + 2, "a"), rec(BASE + 1, "b")], 50)


def test_record_after_before_is_inconsistent():
    pager = GraphQLPager.start(BASE, None, None)
    with pytest.raises(Inconsistent):
        pager.advance([rec(BASE, "a"), rec(BASE + 1, "b")], 50)


@pytest.mark.parametrize("field", ["stanza_id", "timestamp_us"])
def test_record_without_graphql_fields_is_inconsistent(field):
    good = rec(BASE, "a")
    bad = GraphQLArchivedMessage(
        good.sender,
        good.timestamp,
        good.message_id,
        good.body,
        stanza_id=None if field == "stanza_id" else "x",
        timestamp_us=None if field == "timestamp_us" else BASE,
    )
    with pytest.raises(Inconsistent):
        GraphQLPager.start(None, None, None).advance([bad], 50)


def test_advance_after_done_is_an_error():
    pager = GraphQLPager.start(None, None, None)
    assert pager.advance([], 50) == [] and pager.done
    with pytest.raises(RuntimeError):
        pager.advance([], 50)


# -- cursor ------------------------------------------------------------------------------


def test_cursor_round_trips_and_names_its_api():
    state = GraphQLCursor(upper_us=BASE, oldest_us=BASE - 5, seen=["a", "b"], limit=7)
    data = json.loads(json.dumps(state.to_json()))
    assert data["api"] == "graphql" and data["v"] == 1
    assert GraphQLCursor.from_json(data) == state


def test_start_with_a_cursor_checks_before_and_takes_the_page_size():
    saved = GraphQLCursor(upper_us=BASE, oldest_us=BASE - 5, seen=["a"], limit=7).to_json()
    with pytest.raises(InvalidArgumentError):
        GraphQLPager.start(BASE - 1, 7, saved)
    pager = GraphQLPager.start(BASE, 3, saved)
    assert (pager.next_before(), pager.next_limit(), pager.state.seen) == (BASE - 5, 3, ["a"])
    assert GraphQLPager.start(None, None, saved).next_before() == BASE - 5


GOOD = {"v": 1, "api": "graphql"}


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "cursor",
        {"api": "graphql"},
        {**GOOD, "api": "rest"},
        {**GOOD, "v": 2},
        {**GOOD, "v": "1"},
        {"v": 1},  # no api: a REST-style cursor
        CursorState().to_json(),
        CursorState(upper=5, oldest=3, at_oldest=1).to_json(),
        {**GOOD, "upper_us": "5"},
        {**GOOD, "upper_us": 5.0},
        {**GOOD, "upper_us": True},
        {**GOOD, "upper_us": -1},
        {**GOOD, "oldest_us": -1, "seen": ["a"]},
        {**GOOD, "oldest_us": "5", "seen": ["a"]},
        {**GOOD, "limit": -1},
        {**GOOD, "limit": False},
        {**GOOD, "done": "yes"},
        {**GOOD, "done": 1},
        {**GOOD, "seen": ["a"]},  # seen without oldest
        {**GOOD, "oldest_us": 5},  # oldest without seen
        {**GOOD, "oldest_us": 5, "seen": []},
        {**GOOD, "oldest_us": 5, "seen": "ab"},
        {**GOOD, "oldest_us": 5, "seen": [1]},
        {**GOOD, "oldest_us": 5, "seen": None},
        {**GOOD, "surprise": 1},
    ],
)
def test_bad_cursor_is_rejected(bad):
    with pytest.raises(InvalidArgumentError):
        GraphQLCursor.from_json(bad)
    if bad is not None:  # None means "no cursor" to start()
        with pytest.raises(InvalidArgumentError):
            GraphQLPager.start(None, None, bad)


@pytest.mark.parametrize("version", [True, 1.0])
def test_cursor_version_must_be_the_int_1(version):
    with pytest.raises(InvalidArgumentError):
        GraphQLCursor.from_json({**GOOD, "v": version})


@pytest.mark.parametrize(
    "bad",
    [{**GOOD, "upper_us": 10**20}, {**GOOD, "oldest_us": 10**20, "seen": ["a"]}],
)
def test_cursor_time_beyond_rfc3339_is_rejected(bad):
    with pytest.raises(InvalidArgumentError):
        GraphQLCursor.from_json(bad)
