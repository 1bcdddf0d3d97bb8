"""The backward pager against a model of the server, without HTTP.

The model below computes pages exactly as MongooseIM does (shared note, "Timestamps, before
and limit"): microsecond times, ``time <= before * 10**6``, the newest ``min(limit, cap)``
entries, oldest first, seconds rounded half up. It is written independently of both the
pager and the fake server.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiomongoose.errors import InvalidArgumentError
from aiomongoose.models import ArchivedMessage
from aiomongoose.pagination import BackwardPager, CursorState, Inconsistent, StallDetected

US = 1_000_000


class ModelServer:
    def __init__(self, entries: list[tuple[int, ArchivedMessage]], cap: int) -> None:
        # entries: (time_us, record) in archive order (time, then insertion)
        self.entries = sorted(entries, key=lambda e: e[0])
        self.times = [t for t, _ in self.entries]
        self.cap = cap
        self.requests: list[int | None] = []

    def page(self, before: int | None, limit: int | None) -> list[ArchivedMessage]:
        self.requests.append(before)
        size = min(100 if limit is None else limit, self.cap)
        end = len(self.times) if before is None else bisect_right(self.times, before * US)
        return [rec for _, rec in self.entries[max(0, end - size) : end]] if size else []


def record(t_us: int, sender: str = "a@x", mid: str = "", body: str | None = "hi") -> tuple:
    return (t_us, ArchivedMessage(sender, (t_us + US // 2) // US, mid, body))


def drain(server: ModelServer, limit: int | None, *, state: CursorState | None = None):
    """Run the pager to the end; return (messages newest first, pager)."""
    pager = BackwardPager(state or CursorState(limit=limit))
    out: list[ArchivedMessage] = []
    guard = 4 * len(server.entries) + 10
    while not pager.done:
        guard -= 1
        assert guard > 0, "pager loops"
        out.extend(pager.advance(server.page(pager.next_before(), pager.next_limit())))
    return out, pager


def densest_window(times: list[int], width_us: int = 3 * US // 2) -> int:
    """The most archive entries inside any closed window of `width_us`."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > width_us:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def expected(server: ModelServer) -> list[ArchivedMessage]:
    return [rec for _, rec in reversed(server.entries)]


# -- examples named in the issue ---------------------------------------------------------


def test_many_messages_in_one_reported_second_across_page_boundaries():
    base = 1_700_000_000 * US
    entries = [record(base + i * 20_000, mid=str(i)) for i in range(45)]  # 45 within 0.9 s
    entries += [record(base - 5 * US + i * 100_000, mid=f"o{i}") for i in range(30)]
    server = ModelServer(entries, cap=50)
    out, _ = drain(server, None)
    assert out == expected(server)


@pytest.mark.parametrize("frac", [400_000, 499_999, 500_000, 500_001, 600_000])
def test_rounding_boundaries_x4_x5_x6(frac):
    base = 1_700_000_000 * US
    entries = []
    for second in range(40):
        for k in range(3):  # three messages per second at .4/.5/.6-ish
            entries.append(record(base + second * US + frac + k * 100_000, mid=str(k)))
    server = ModelServer(entries, cap=7)
    out, _ = drain(server, 7)
    assert out == expected(server)
    assert len(out) == 120


def test_identical_records_and_blank_ids_are_each_yielded():
    base = 1_700_000_000 * US
    # groups of 4 identical records every 0.3 s: at most 24 in any 1.5 s window
    entries = [record(base + (i // 4) * 300_000, mid="", body=None) for i in range(120)]
    assert densest_window([t for t, _ in entries]) == 24
    server = ModelServer(entries, cap=30)
    out, _ = drain(server, 30)
    assert len(out) == 120
    assert out == expected(server)


def test_short_page_does_not_end_iteration():
    base = 1_700_000_000 * US
    entries = [record(base + i * 2 * US, mid=str(i)) for i in range(175)]
    server = ModelServer(entries, cap=50)  # limit defaults to 100, pages come back with 50
    out, _ = drain(server, None)
    assert out == expected(server)
    assert len(server.requests) <= math.ceil(175 / 49) + 2


def test_empty_archive_takes_one_request():
    server = ModelServer([], cap=50)
    out, pager = drain(server, None)
    assert out == [] and pager.done and server.requests == [None]


def test_first_request_uses_upper_bound_then_oldest_plus_one():
    base = 1_700_000_000
    entries = [record((base - i) * US) for i in range(10)]
    server = ModelServer(entries, cap=4)
    pager = BackwardPager(CursorState(upper=base - 2, limit=4))
    assert pager.next_before() == base - 2
    got = pager.advance(server.page(pager.next_before(), 4))
    assert [m.timestamp for m in got] == [base - 2, base - 3, base - 4, base - 5]
    assert pager.next_before() == base - 4  # oldest + 1, never oldest
    out, _ = drain(server, 4, state=pager.state)
    assert [m.timestamp for m in got + out] == [base - i for i in range(2, 10)]


def test_stall_raises_after_one_extra_request():
    base = 1_700_000_000 * US
    entries = [record(base - 10 * US + i) for i in range(5)]  # older messages exist
    entries += [record(base + i * 1000) for i in range(30)]  # 30 within 30 ms
    server = ModelServer(entries, cap=10)
    pager = BackwardPager(CursorState(limit=10))
    with pytest.raises(StallDetected) as info:
        while not pager.done:
            pager.advance(server.page(pager.next_before(), pager.next_limit()))
    assert info.value.timestamp == 1_700_000_000
    # first page, the page that brought nothing new, the probe: nothing more
    assert server.requests == [None, 1_700_000_001, 1_700_000_000]


def test_burst_larger_than_a_page_with_nothing_older_ends_without_repeats():
    # The documented limit: a burst inside half a second with nothing older is, when its
    # records are identical, indistinguishable from a complete archive.
    base = 1_700_000_000 * US
    server = ModelServer([record(base + i * 1000) for i in range(30)], cap=10)
    out, _ = drain(server, 10)
    assert out == expected(server)[:10]
    assert server.requests == [None, 1_700_000_001, 1_700_000_000]


def test_burst_with_nothing_older_raises_when_the_probe_shows_other_records():
    base = 1_700_000_000 * US
    server = ModelServer([record(base + i * 1000, mid=str(i)) for i in range(30)], cap=10)
    with pytest.raises(StallDetected):
        drain(server, 10)


def test_stall_skip_continues_strictly_below_the_window():
    base = 1_700_000_000 * US
    older = [record(base - 10 * US + i * US // 10, mid=f"o{i}") for i in range(5)]
    burst = [record(base + i * 1000, mid=f"b{i}") for i in range(30)]
    server = ModelServer(older + burst, cap=10)
    pager = BackwardPager(CursorState(limit=10))
    out: list[ArchivedMessage] = []
    while not pager.done:
        try:
            out.extend(pager.advance(server.page(pager.next_before(), pager.next_limit())))
        except StallDetected:
            assert pager.skip_stall() == 1_700_000_000
    assert out == [r for _, r in reversed(burst)][:10] + [r for _, r in reversed(older)]


def test_changed_archive_is_detected_not_skipped():
    base = 1_700_000_000 * US
    entries = [record(base + i * 100_000, mid=str(i)) for i in range(30)]
    server = ModelServer(entries, cap=10)
    pager = BackwardPager(CursorState(limit=10))
    pager.advance(server.page(pager.next_before(), pager.next_limit()))
    # delete the oldest delivered message behind the pager's back
    del server.entries[20], server.times[20]
    with pytest.raises(Inconsistent):
        pager.advance(server.page(pager.next_before(), pager.next_limit()))


def test_unsorted_page_is_inconsistent():
    pager = BackwardPager(CursorState())
    with pytest.raises(Inconsistent):
        pager.advance([record(2 * US)[1], record(1 * US)[1]])


# -- cursor ------------------------------------------------------------------------------


def test_cursor_round_trips_through_json():
    state = CursorState(upper=9, oldest=5, at_oldest=2, max_page=50, limit=None, probing=1)
    again = CursorState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"v": 2},
        {"v": 1, "oldest": "5", "at_oldest": 1},
        {"v": 1, "oldest": 5, "at_oldest": 0},
        {"v": 1, "at_oldest": True},
        {"v": 1, "max_page": -1},
        {"v": 1, "probing": 1},
        {"v": 1, "oldest": 3, "at_oldest": 1, "probing": 3},
        {"v": 1, "surprise": 1},
    ],
)
def test_bad_cursor_is_rejected(bad):
    with pytest.raises(InvalidArgumentError):
        CursorState.from_json(bad)


# -- properties --------------------------------------------------------------------------


@st.composite
def archives(draw):
    """Archives with collisions, bursts and gaps; ids blank or repeated; bodies null."""
    gap = st.one_of(
        st.just(0),
        st.integers(1, 1000),
        st.integers(1, US),
        st.integers(US, 5 * US),
        st.sampled_from([US // 2, US // 2 - 1, US // 2 + 1, US, 400_000, 600_000]),
    )
    shape = st.tuples(
        gap,
        st.sampled_from(["a@x", "b@x/r"]),
        st.sampled_from(["", "", "dup", "x1", "x2"]),
        st.sampled_from([None, "hi", "hi", "yo"]),
    )
    t = 1_700_000_000 * US + draw(st.integers(0, US))
    n = draw(st.integers(0, 140))
    entries = []
    for step, sender, mid, body in draw(st.lists(shape, min_size=n, max_size=n)):
        t += step
        entries.append(record(t, sender=sender, mid=mid, body=body))
    return entries


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(archives(), st.integers(1, 60), st.one_of(st.none(), st.integers(1, 120)))
def test_every_message_once_in_order_or_a_justified_stall(entries, cap, limit):
    server = ModelServer(entries, cap)
    page = min(100 if limit is None else limit, cap)
    full = expected(server)
    window = densest_window([t for t, _ in server.entries])
    try:
        out, _ = drain(server, limit)
    except StallDetected:
        assert window >= page, "stalled although no 1.5 s window holds a page"
        return
    # Never a gap, never a repeat: what came out is the newest part of the archive.
    assert out == full[: len(out)]
    if window < page:
        assert out == full
        # +1 for the answer that shows nothing new, +2 for the probes when it is full
        assert len(server.requests) <= math.ceil(len(full) / (page - window)) + 3


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(archives(), st.integers(2, 40), st.data())
def test_resuming_from_a_serialised_cursor_loses_and_repeats_nothing(entries, cap, data):
    server = ModelServer(entries, cap)
    full = expected(server)
    window = densest_window([t for t, _ in server.entries])
    if window >= cap:
        return  # stall behaviour is covered above
    stop_after = data.draw(st.integers(0, 10))
    pager = BackwardPager(CursorState(limit=cap))
    out: list[ArchivedMessage] = []
    for _ in range(stop_after):
        if pager.done:
            break
        out.extend(pager.advance(server.page(pager.next_before(), pager.next_limit())))
    saved = json.loads(json.dumps(pager.state.to_json()))
    rest, _ = drain(server, cap, state=CursorState.from_json(saved))
    assert out + rest == full


@settings(max_examples=200, deadline=None)
@given(archives(), st.integers(1, 40), st.integers(0, 1_700_000_200))
def test_upper_bound_is_inclusive_and_respected(entries, cap, upper):
    server = ModelServer(entries, cap)
    window = densest_window([t for t, _ in server.entries])
    try:
        out, _ = drain(server, cap, state=CursorState(upper=upper, limit=cap))
    except StallDetected:
        assert window >= cap
        return
    wanted = [rec for t, rec in reversed(server.entries) if t <= upper * US]
    assert out == wanted[: len(out)]
    if window < cap:
        assert out == wanted


def test_delivered_messages_filling_the_probe_page_do_not_hide_older_ones():
    # 20 a second, pages of 10: the newest 10 lie within [T - 0.5 s, T], so the probe at T
    # shows only delivered ones; the server's page size is unknown, so look below T - 1.
    base = 1_700_000_000 * US
    entries = [record(base + i * 50_000, mid=str(i)) for i in range(200)]
    server = ModelServer(entries, cap=10)
    with pytest.raises(StallDetected):
        drain(server, 10)
    assert len(server.requests) == 4


@pytest.mark.parametrize(("offset_us", "requests"), [(0, 3), (-300_000, 4)])
def test_a_few_messages_within_one_second_end_quietly(offset_us, requests):
    base = 1_700_000_000 * US + offset_us
    server = ModelServer([record(base + i * 1000, mid=str(i)) for i in range(3)], cap=50)
    out, _ = drain(server, None)
    assert out == expected(server)
    # page, no progress, probe at T (shows fewer than a page: done) [, probe below T - 1]
    assert len(server.requests) == requests
