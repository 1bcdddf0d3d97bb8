"""The REST backward pager against an independent model of the server, without HTTP.

The model (``archive_model``) computes pages as MongooseIM does; the exhaustive grid lives
in ``test_pagination_exhaustive``. Here: the issue's reproductions, named cases, the cursor,
and property tests with start offsets on the rounding boundaries and bursts at the oldest
end of the archive.
"""

from __future__ import annotations

import json

import pytest
from archive_model import (
    US,
    ModelServer,
    Run,
    check_exactly_once,
    densest_window,
    distinct,
    drain,
    record,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiomongoose.errors import InvalidArgumentError
from aiomongoose.models import ArchivedMessage
from aiomongoose.paging.cap_floor import CapFloor
from aiomongoose.paging.seconds import DEFAULT_PAGE_SIZE, BackwardPager
from aiomongoose.paging.seconds_cursor import CursorState
from aiomongoose.paging.signals import Inconsistent, StallDetected

T = 1_700_000_000
BASE = T * US
DAY = 86_400 * US


# -- the two reproductions --------------------------------------------------------


@pytest.mark.parametrize("page_size", [40, 50, 10, None])
def test_a_burst_reported_as_one_second_is_never_lost_silently(page_size):
    # 80 messages between T+0.100 s and T+0.2975 s, every one reported as T; cap 50. The
    # old probe at before=T could not see them (they are after T.000000) and ended quietly.
    server = ModelServer(distinct([BASE + 100_000 + i * 2_500 for i in range(80)]), cap=50)
    run = check_exactly_once(server, page_size or DEFAULT_PAGE_SIZE)
    assert run.stall is not None and run.stall.timestamp == T
    # Whatever fits in the cap of 50 is reached (with limit=500), then it says where it
    # stopped; never 40 (or 10) messages and a quiet end.
    assert len(run.out) == 50
    assert server.requests[-1] == (T + 1, 500)


@pytest.mark.parametrize("page_size", [2, 3, 4])
@pytest.mark.parametrize("fraction_us", [0, 300_000, 499_999, 500_000, 999_999])
def test_two_messages_at_one_instant_on_three_days_page_through(page_size, fraction_us):
    # The old pager raised "more messages than one page" here with page_size=2: its probe
    # saw an older message of another day, which is progress, not a stall.
    times = sorted(BASE + day * DAY + fraction_us for day in range(3) for _ in range(2))
    server = ModelServer(distinct(times), cap=50)
    run = check_exactly_once(server, page_size)
    assert run.stall is None and run.pager.doubt is None
    assert run.out == server.newest_first()


def test_two_messages_at_one_instant_stall_when_the_cap_is_the_page():
    # With the server's cap at 2 as well, no request can look past a pair: that is a
    # justified stall (1.5 s holds a page), raised after the first page.
    times = sorted(BASE + day * DAY for day in range(3) for _ in range(2))
    server = ModelServer(distinct(times), cap=2)
    run = check_exactly_once(server, 2)
    assert run.stall is not None and len(run.out) == 2


# -- named cases --------------------------------------------------------------------------


def test_many_messages_in_one_reported_second_across_page_boundaries():
    entries = [record(BASE + i * 20_000, mid=str(i)) for i in range(45)]  # 45 within 0.9 s
    entries += [record(BASE - 5 * US + i * 100_000, mid=f"o{i}") for i in range(30)]
    server = ModelServer(entries, cap=50)
    run = drain(server, None)
    assert run.stall is None and run.out == server.newest_first()
    assert {limit for _, limit in server.requests} == {50}


def test_default_page_size_is_sent_as_the_limit():
    pager = BackwardPager.start(None, None, None)
    assert pager.next_limit() == DEFAULT_PAGE_SIZE == 50


@pytest.mark.parametrize("frac", [400_000, 499_999, 500_000, 500_001, 600_000])
def test_rounding_boundaries_x4_x5_x6(frac):
    entries = []
    for second in range(40):
        for k in range(3):  # three messages per second at .4/.5/.6-ish
            entries.append(record(BASE + second * US + frac + k * 100_000, mid=str(k)))
    server = ModelServer(entries, cap=7)
    run = drain(server, 7)
    assert run.out == server.newest_first() and len(run.out) == 120


def test_identical_records_and_blank_ids_are_each_yielded():
    # groups of 4 identical records every 0.3 s: at most 24 in any 1.5 s window
    entries = [record(BASE + (i // 4) * 300_000, mid="", body=None) for i in range(120)]
    assert densest_window([t for t, _ in entries]) == 24
    server = ModelServer(entries, cap=30)
    run = drain(server, 30)
    assert len(run.out) == 120 and run.out == server.newest_first()


def test_a_page_size_above_the_cap_still_pages_through():
    # The server silently caps 100 to 50: the pager learns the cap from the second page
    # (new messages after a short page) and never takes a short page for the end.
    server = ModelServer([record(BASE + i * 2 * US, mid=str(i)) for i in range(175)], cap=50)
    run = drain(server, 100)
    assert run.out == server.newest_first() and run.pager.doubt is None
    assert run.pager.state.cap_exact and run.pager.state.cap_seen == 50
    assert run.requests <= -(-175 // 49) + 2


def test_empty_archive_takes_one_request():
    server = ModelServer([], cap=50)
    run = drain(server, None)
    assert run.out == [] and run.pager.done and server.requests == [(None, 50)]


def test_a_short_page_after_a_full_one_ends_at_once():
    server = ModelServer([record(BASE + i * US, mid=str(i)) for i in range(15)], cap=50)
    run = drain(server, 10)
    assert run.out == server.newest_first()
    assert server.requests == [(None, 10), (T + 6, 10)]


def test_first_request_uses_upper_bound_then_oldest_plus_one():
    server = ModelServer([record((T - i) * US) for i in range(10)], cap=4)
    pager = BackwardPager.start(T - 2, 4, None)
    assert pager.next_before() == T - 2
    got = pager.advance(server.page(pager.next_before(), 4))
    assert [m.timestamp for m in got] == [T - 2, T - 3, T - 4, T - 5]
    assert pager.next_before() == T - 4  # oldest + 1, never oldest
    run = drain(server, 4, cursor=pager.state.to_json())
    assert [m.timestamp for m in got + run.out] == [T - i for i in range(2, 10)]


def test_stall_raises_after_one_request_with_the_largest_limit():
    entries = [record(BASE - 10 * US + i, mid=f"o{i}") for i in range(5)]  # older ones
    entries += [record(BASE + i * 1000, mid=str(i)) for i in range(30)]  # 30 within 30 ms
    server = ModelServer(entries, cap=10)
    run = drain(server, 10)
    assert run.stall is not None and run.stall.timestamp == T
    assert run.out == server.newest_first()[:10]
    # first page, the page that brought nothing new, the same with limit=500: capped
    assert server.requests == [(None, 10), (T + 1, 10), (T + 1, 500)]


def test_a_burst_within_the_cap_is_stepped_past_with_a_larger_limit():
    entries = [record(BASE - 10 * US + i, mid=f"o{i}") for i in range(5)]
    entries += [record(BASE + i * 1000, mid=str(i)) for i in range(30)]
    server = ModelServer(entries, cap=50)
    run = drain(server, 10)
    assert run.stall is None and run.out == server.newest_first()
    assert server.requests[:3] == [(None, 10), (T + 1, 10), (T + 1, 500)]


def test_a_burst_at_the_end_filling_the_cap_raises_rather_than_ends():
    # Nothing older exists, but the pager cannot know: a message hidden in (T, T + 0.5 s)
    # would look the same. With the page size within the cap that is a stall, not an end.
    server = ModelServer(distinct([BASE + 1 + i * 1000 for i in range(30)]), cap=10)
    run = check_exactly_once(server, 10)
    assert run.stall is not None and run.out == server.newest_first()[:10]


def test_above_the_cap_a_burst_at_the_end_ends_with_a_doubt_not_silently():
    # page_size 50, cap 10, the archive one burst inside (T, T + 0.5 s): undecidable.
    server = ModelServer(distinct([BASE + 1 + i * 1000 for i in range(30)]), cap=10)
    run = check_exactly_once(server, 50)
    assert run.stall is None and run.out == server.newest_first()[:10]
    assert run.pager.doubt is not None
    assert "at most 10 messages although page_size is 50" in run.pager.doubt
    assert str(T) in run.pager.doubt
    # first page, nothing new at T + 1, a probe at T that sees nothing
    assert server.requests == [(None, 50), (T + 1, 50), (T, 50)]


def test_above_the_cap_a_burst_with_older_messages_raises():
    # The probe at before=T shows older messages: the cap is proven, and it is a stall.
    entries = distinct([BASE - 10 * US + i for i in range(5)] + [BASE + i for i in range(30)])
    server = ModelServer(entries, cap=10)
    run = check_exactly_once(server, 50)
    assert run.stall is not None and run.pager.state.cap_exact
    assert server.requests == [(None, 50), (T + 1, 50), (T, 50)]


@pytest.mark.parametrize("offset_us", [1, -300_000, 0])
def test_a_few_messages_within_one_second_are_all_delivered(offset_us):
    # Smaller than a page and within 1.5 s: exact, but the cap stays unknown (a cap of 3
    # with a fourth message hidden in (T, T + 0.5 s) would look the same), and that is said.
    server = ModelServer(distinct([BASE + offset_us + i * 1000 for i in range(3)]), cap=50)
    run = check_exactly_once(server, DEFAULT_PAGE_SIZE)
    assert run.out == server.newest_first() and run.pager.doubt is not None
    assert len(server.requests) == 3


def test_a_cap_floor_from_the_domain_settles_a_small_burst():
    # 3 < the floor of 50: the answers were not cut, so the archive is all there.
    server = ModelServer(distinct([BASE + 1 + i * 1000 for i in range(3)]), cap=50)
    run = Run(server, BackwardPager.start(None, None, None, cap_floor=50))
    assert run.out == server.newest_first() and run.pager.doubt is None
    assert server.requests == [(None, 50)]  # shorter than the limit and the floor: done


def test_cap_floor_keeps_the_longest_answer_per_domain():
    floor = CapFloor()
    floor.saw("alice@Wonderland.lit/phone", 50)
    floor.saw("rabbit@wonderland.lit", 7)
    assert floor.of("hatter@wonderland.lit") == 50 and floor.of("bob@elsewhere.lit") == 0


def test_a_few_messages_spread_over_seconds_end_without_doubt():
    server = ModelServer(distinct([BASE + i * 2 * US for i in range(3)]), cap=50)
    run = check_exactly_once(server, DEFAULT_PAGE_SIZE)
    assert run.out == server.newest_first() and run.pager.doubt is None
    assert server.requests == [(None, 50), (T + 1, 50)]


def test_stall_skip_continues_strictly_below_the_window():
    older = [record(BASE - 10 * US + i * US // 10, mid=f"o{i}") for i in range(5)]
    burst = [record(BASE + i * 1000, mid=f"b{i}") for i in range(30)]
    server = ModelServer(older + burst, cap=10)
    pager = BackwardPager.start(None, 10, None)
    out: list[ArchivedMessage] = []
    while not pager.done:
        try:
            out.extend(pager.advance(server.page(pager.next_before(), pager.next_limit())))
        except StallDetected:
            assert pager.skip_stall() == T
    assert out == [r for _, r in reversed(burst)][:10] + [r for _, r in reversed(older)]


def test_changed_archive_is_detected_not_skipped():
    server = ModelServer([record(BASE + i * 100_000, mid=str(i)) for i in range(30)], cap=10)
    pager = BackwardPager.start(None, 10, None)
    pager.advance(server.page(pager.next_before(), pager.next_limit()))
    # delete the oldest delivered message behind the pager's back
    del server.entries[20], server.times[20]
    with pytest.raises(Inconsistent):
        pager.advance(server.page(pager.next_before(), pager.next_limit()))


def test_a_page_longer_than_the_proven_cap_is_inconsistent():
    state = CursorState(oldest=T, at_oldest=1, cap_seen=10, cap_exact=True)
    pager = BackwardPager(state)
    with pytest.raises(Inconsistent, match="cap is 10"):
        pager.advance([record(BASE - i * US, mid=str(i))[1] for i in range(11, 0, -1)])


def test_unsorted_page_is_inconsistent():
    pager = BackwardPager(CursorState())
    with pytest.raises(Inconsistent):
        pager.advance([record(2 * US)[1], record(1 * US)[1]])


# -- cursor ------------------------------------------------------------------------------


def test_cursor_round_trips_through_json():
    state = CursorState(upper=9, oldest=5, at_oldest=2, limit=7, cap_seen=50, short_page=3, phase=1)
    again = CursorState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state


def test_a_version_1_cursor_resumes_with_what_it_knew():
    old = {"v": 1, "upper": None, "oldest": 17, "at_oldest": 2, "max_page": 50,
           "limit": None, "probing": 1, "done": False}  # fmt: skip
    state = CursorState.from_json(old)
    assert state == CursorState(oldest=17, at_oldest=2, cap_seen=50)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"v": 3},
        {"v": 2, "oldest": "5", "at_oldest": 1},
        {"v": 2, "oldest": 5, "at_oldest": 0},
        {"v": 2, "at_oldest": True},
        {"v": 2, "cap_seen": -1},
        {"v": 2, "limit": 0},
        {"v": 2, "phase": 1},
        {"v": 2, "oldest": 3, "at_oldest": 1, "phase": 3},
        {"v": 2, "cap_exact": 1},
        {"v": 2, "surprise": 1},
        {"v": 1, "surprise": 1},
        {"v": 1, "max_page": -1},
    ],
)
def test_bad_cursor_is_rejected(bad):
    with pytest.raises(InvalidArgumentError):
        CursorState.from_json(bad)


def test_a_cursor_keeps_its_bound_and_takes_a_new_page_size():
    cursor = CursorState(upper=9, oldest=5, at_oldest=1, limit=7, cap_seen=50).to_json()
    with pytest.raises(InvalidArgumentError, match="before differs"):
        BackwardPager.start(8, 7, cursor)
    assert BackwardPager.start(None, 20, cursor).state.limit == 20
    assert BackwardPager.start(9, None, cursor).state.limit == DEFAULT_PAGE_SIZE


# -- properties --------------------------------------------------------------------------

BOUNDARIES = [0, 1, 499_999, 500_000, 500_001, 999_999]


@st.composite
def archives(draw):
    """Archives starting on a rounding boundary, with gaps, same-microsecond bursts, and
    often a burst at the oldest end; ids blank or repeated, bodies null or repeated."""
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
    t = BASE + draw(st.sampled_from(BOUNDARIES))
    entries = []
    burst = draw(st.integers(0, 60))  # at the oldest end, within a microsecond or a few
    spread = draw(st.sampled_from([0, 1, 1000, 400_000]))
    for i in range(burst):
        entries.append(record(t + (i * spread) // max(burst, 1), mid=f"b{i}"))
    t += spread + draw(gap)
    n = draw(st.integers(0, 140))
    for step, sender, mid, body in draw(st.lists(shape, min_size=n, max_size=n)):
        t += step
        entries.append(record(t, sender=sender, mid=mid, body=body))
    return entries


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(archives(), st.sampled_from([1, 2, 10, 50, 500]), st.integers(1, 60), st.data())
def test_every_message_once_in_order_or_a_justified_stall(entries, cap, page_size, data):
    if data.draw(st.booleans()):
        page_size = data.draw(st.integers(max(1, cap - 1), cap))  # at and one below the cap
    check_exactly_once(ModelServer(entries, cap), page_size)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(archives(), st.integers(1, 60), st.integers(T - 2, T + 400))
def test_upper_bound_is_inclusive_and_respected(entries, cap, upper):
    check_exactly_once(ModelServer(entries, cap), cap, upper)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(archives(), st.integers(2, 60), st.data())
def test_a_cursor_taken_after_any_page_or_message_resumes_exactly(entries, cap, data):
    server = ModelServer(entries, cap)
    page_size = data.draw(st.integers(1, cap))
    whole = check_exactly_once(server, page_size)
    # Stop after some pages, then perhaps hand out only part of the next page.
    pager = BackwardPager.start(None, page_size, None)
    out: list[ArchivedMessage] = []
    saved = None  # a cursor in the middle of a page, if one is taken
    for _ in range(data.draw(st.integers(0, 12))):
        if pager.done:
            break
        prior = pager.snapshot()
        try:
            new = pager.advance(server.page(pager.next_before(), pager.next_limit()))
        except StallDetected:
            return  # the whole run stalls too; covered above
        keep = data.draw(st.integers(0, len(new)))
        if keep < len(new):
            out.extend(new[:keep])
            saved = pager.cursor_after(prior, new[:keep])
            break
        out.extend(new)
    if saved is None:
        saved = pager.state.to_json()  # after the last page handed out whole
    resumed = drain(server, page_size, cursor=json.loads(json.dumps(saved)))
    assert out + resumed.out == server.newest_first()[: len(out + resumed.out)]
    if resumed.stall is not None:
        assert densest_window(server.times) >= min(page_size, cap)
    elif whole.stall is None and whole.pager.doubt is None:
        assert out + resumed.out == whole.out == server.newest_first()
