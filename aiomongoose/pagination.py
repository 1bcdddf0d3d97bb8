"""Paging backwards through a REST archive with a second-granular, inclusive ``before``.

Pure logic, no I/O: :class:`BackwardPager` says which ``before`` to ask for next and, given
the page that came back, which messages are new. The reasoning (see also the shared server
note, "Paging backwards"):

* The server keeps microsecond times, reports seconds rounded half up, selects
  ``time <= before * 10**6`` and answers the newest ``P`` matches, oldest first. What has been
  delivered is therefore always a *suffix* of the archive's order.
* If the oldest delivered message reports ``T``, it happened before ``T + 0.5 s``, and so did
  every older message: ``before = T + 1`` is the smallest safe bound. The answer ends with
  the already-delivered messages that happened at or before ``T + 1 s``: all delivered ones
  reporting ``T`` (we count them) and every message in the answer reporting ``T + 1`` (all of
  those are newer than the oldest delivered one, hence delivered). That count is the overlap,
  dropped by position; when we still hold those records we also compare them by content.
* A page that brings nothing new ends the iteration when it is provably not full (shorter
  than a page already seen). Otherwise a page's worth sits within ~1.5 s, and a probe at
  ``before = T`` with ``limit`` one more than the messages delivered at ``T`` decides:
  anything older, or an extra message at ``T``, means messages cannot be reached ->
  :class:`StallDetected`; a probe page that is provably not full means nothing is older.
  Only when the probe page is as long as the largest page seen (delivered messages within
  ``[T - 0.5 s, T]`` may fill it) does a second probe at ``before = T - 1`` look below.
  What stays undecidable: a burst that fills a page inside half a second, with nothing older
  than ``T - 1 s``, while the server's page size is unknown (see the README).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .errors import InvalidArgumentError
from .models import ArchivedMessage

__all__ = ["BackwardPager", "CursorState", "Inconsistent", "StallDetected"]

_CURSOR_VERSION = 1
_NOT_PROBING, _PROBE_AT, _PROBE_BELOW = 0, 1, 2
# MongooseIM 3.x answers a limit above 500 with an error.
_PROBE_LIMIT_MAX = 500
_CURSOR_SCHEMA = {
    "upper": "int?",
    "oldest": "int?",
    "at_oldest": "int",
    "max_page": "int",
    "limit": "int?",
    "probing": "probe",
    "done": "bool",
}


class StallDetected(Exception):
    """More than a page of messages sits within ~1.5 s of ``timestamp``: nothing steps past."""

    def __init__(
        self,
        timestamp: int,
        delivered_at_timestamp: int,
        reason: str = "more messages than one page sit within about 1.5 s, so no "
        "second-granular `before` can step past them",
    ) -> None:
        self.timestamp = timestamp
        self.delivered_at_timestamp = delivered_at_timestamp
        self.reason = reason
        super().__init__(timestamp, delivered_at_timestamp)


class Inconsistent(Exception):
    """A page contradicts the server's rules or earlier pages (e.g. the archive changed)."""


@attrs.define
class CursorState:
    """Everything needed to resume paging; JSON-serialisable through :meth:`to_json`."""

    upper: int | None = None  # the caller's inclusive bound in seconds (None: no bound)
    oldest: int | None = None  # reported second of the oldest delivered message
    at_oldest: int = 0  # how many delivered messages report `oldest`
    max_page: int = 0  # longest page seen: the server's page size is at least this
    limit: int | None = None  # the `limit` sent; max_page is only meaningful for it
    probing: int = 0  # 1: next is the stall probe at before=oldest; 2: at before=oldest-1
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["v"] = _CURSOR_VERSION
        return data

    @classmethod
    def from_json(cls, data: object) -> CursorState:
        if (
            not isinstance(data, Mapping)
            or type(data.get("v")) is not int
            or data.get("v") != _CURSOR_VERSION
        ):
            raise InvalidArgumentError("not a history cursor (or one from another version)")
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name == "v":
                continue
            kind = _CURSOR_SCHEMA.get(name)
            if kind is None:
                raise InvalidArgumentError(f"unknown history cursor key {name!r}")
            if kind == "bool":
                ok = type(value) is bool
            elif kind == "probe":
                ok = value in (_NOT_PROBING, _PROBE_AT, _PROBE_BELOW) and type(value) is int
            else:
                ok = (type(value) is int and value >= 0) or (kind == "int?" and value is None)
            if not ok:
                raise InvalidArgumentError(f"history cursor key {name!r} has a bad value")
            kwargs[name] = value
        state = cls(**kwargs)
        if (state.oldest is None) != (state.at_oldest == 0) or (
            state.probing != _NOT_PROBING and state.oldest is None
        ):
            raise InvalidArgumentError("history cursor is inconsistent")
        return state


class BackwardPager:
    """The paging state machine for one archive (one owner, optionally one peer).

    Loop: while not ``done``, request ``before=next_before()`` with ``limit=next_limit()`` and
    pass the answer (server order, oldest first) to :meth:`advance`, which returns the new
    messages newest first.
    """

    def __init__(self, state: CursorState) -> None:
        self.state = state
        # Delivered records reporting `oldest` or `oldest + 1`, oldest first: lets us check
        # the overlap by content as well as by position. Empty after a resume.
        self._boundary: list[ArchivedMessage] = []

    @classmethod
    def start(
        cls, before: int | None, page_size: int | None, cursor: object | None
    ) -> BackwardPager:
        """A pager for ``before`` (seconds) and ``page_size``, or resuming from ``cursor``."""
        if cursor is not None:
            state = CursorState.from_json(cursor)
            if before is not None and before != state.upper:
                raise InvalidArgumentError("before differs from the cursor's bound: give one")
            if state.limit != page_size:
                # Pages of another size: what we learnt of the server's page size is moot.
                state.limit, state.max_page = page_size, 0
        else:
            # Nothing is archived at or before the epoch (and 3.x reads before=0 as "now").
            state = CursorState(upper=before, limit=page_size, done=before == 0)
        return cls(state)

    @property
    def done(self) -> bool:
        return self.state.done

    def snapshot(self) -> CursorState:
        """A copy of the state, to compute a cursor in the middle of the next page."""
        return attrs.evolve(self.state)

    def cursor_after(self, prior: CursorState, consumed: Sequence[ArchivedMessage]) -> Any:
        """The cursor once ``consumed`` (newest first) of the page that followed ``prior``
        are handed out: the delivered messages are still a suffix of the archive."""
        if not consumed:
            return prior.to_json()
        oldest = consumed[-1].timestamp
        at_oldest = _count_head(consumed[::-1], oldest)
        if oldest == prior.oldest:
            at_oldest += prior.at_oldest
        partial = attrs.evolve(
            prior,
            oldest=oldest,
            at_oldest=at_oldest,
            max_page=self.state.max_page,
            probing=_NOT_PROBING,
            done=False,
        )
        return partial.to_json()

    def seconds_of(self, before: int | None) -> int:
        return before or 0

    def next_before(self) -> int | None:
        """The ``before`` (inclusive seconds) of the next request; ``None``: no bound."""
        st = self.state
        if st.oldest is None:
            return st.upper
        if st.probing == _PROBE_AT:
            return st.oldest
        if st.probing == _PROBE_BELOW:
            return st.oldest - 1
        nxt = st.oldest + 1
        return nxt if st.upper is None else min(nxt, st.upper)

    def next_limit(self) -> int | None:
        """The ``limit`` of the next request; ``None``: the server's default."""
        st = self.state
        if st.probing == _PROBE_AT:
            # One more than we delivered at T: room for an undelivered one to show.
            wanted = st.at_oldest + 1
            return min(max(wanted, st.limit or 0), _PROBE_LIMIT_MAX)
        return st.limit

    def advance(
        self, page: Sequence[ArchivedMessage], applied_limit: int | None = None
    ) -> list[ArchivedMessage]:
        """Take the answer to ``next_before()``; return the new messages, newest first.

        ``applied_limit`` is for GraphQL's pager; REST reports no page size.
        """
        if self.state.done:
            raise RuntimeError("advance() after the pager finished")
        before = self.next_before()
        _check_page(page, before)
        if self.state.probing:
            self._after_probe(page)
            return []
        st = self.state
        m = len(page)
        known_page = st.max_page
        st.max_page = max(st.max_page, m)
        overlap = 0
        if st.oldest is not None:
            above = _count_tail(page, st.oldest + 1)  # every one of them is delivered
            overlap = st.at_oldest + above
            self._check_overlap(page, overlap, above)
        fresh = m - overlap
        if fresh <= 0:
            if m < overlap and m < known_page:
                raise Inconsistent("a short page lacks messages that were delivered before")
            if m < known_page or st.oldest is None:
                st.done = True  # not a full page: everything at or before `before` is here
            elif st.oldest <= 0:
                st.done = True  # nothing can be older than the epoch's first second
            else:
                st.probing = _PROBE_AT
            return []
        new = page[:fresh]
        self._record(new)
        if m < known_page:
            st.done = True
        return list(reversed(new))

    def _record(self, new: Sequence[ArchivedMessage]) -> None:
        st = self.state
        oldest = new[0].timestamp
        at_oldest = _count_head(new, oldest)
        if oldest == st.oldest:
            at_oldest += st.at_oldest
        # `new` is sorted oldest first (checked), so its records up to `oldest + 1` are a prefix.
        upto = oldest + 1
        head = 0
        for record in new:
            if record.timestamp > upto:
                break
            head += 1
        self._boundary = [*new[:head], *(r for r in self._boundary if r.timestamp <= upto)]
        st.oldest, st.at_oldest = oldest, at_oldest

    def _check_overlap(self, page: Sequence[ArchivedMessage], overlap: int, above: int) -> None:
        st = self.state
        assert st.oldest is not None
        m = len(page)
        start = max(m - overlap, 0)
        # The overlap is `at_oldest` records reporting `oldest`, then `above` reporting +1.
        for i in range(start, m - above):
            if page[i].timestamp != st.oldest:
                raise Inconsistent(
                    f"expected the {st.at_oldest} messages already delivered at "
                    f"{st.oldest} at the end of the page"
                )
        if len(self._boundary) >= overlap:
            expected = self._boundary[overlap - (m - start) : overlap]
            if list(page[start:]) != expected:
                raise Inconsistent("the overlap with the previous page differs in content")

    def _after_probe(self, page: Sequence[ArchivedMessage]) -> None:
        st = self.state
        assert st.oldest is not None
        if st.probing == _PROBE_BELOW:
            # Anything at or before T - 1 s is older than every delivered message.
            st.probing = _NOT_PROBING
            if page:
                raise StallDetected(st.oldest, st.at_oldest)
            st.done = True
            return
        st.probing = _NOT_PROBING
        if page and page[0].timestamp < st.oldest or len(page) > st.at_oldest:
            raise StallDetected(st.oldest, st.at_oldest)  # undelivered messages showed up
        if self._boundary and list(page) != self._boundary[: len(page)]:
            raise StallDetected(st.oldest, st.at_oldest)
        if len(page) < st.max_page or not page:
            # Not a full page (or nothing at or before T): every message at or before T
            # is here and delivered, so nothing is older.
            st.done = True
        elif st.oldest <= 1:
            st.done = True
        else:
            # As many delivered messages within [T - 0.5 s, T] as the largest page seen:
            # the page may be full. Ask below them.
            st.probing = _PROBE_BELOW

    def skip_stall(self) -> int:
        """Give up on the window at ``oldest``: continue strictly below it (``before = T - 1``).

        Messages archived within ``[T - 1 s, T + 0.5 s)`` that were not delivered are lost;
        returns ``T``. Only for ``on_stall="skip"``.
        """
        st = self.state
        assert st.oldest is not None
        stalled = st.oldest
        st.upper = stalled - 1
        st.oldest, st.at_oldest, st.probing = None, 0, _NOT_PROBING
        st.done = st.upper <= 0  # before=0 would mean "no bound" on 3.x
        self._boundary = []
        return stalled

    def skip_note(self) -> str:
        """What :meth:`skip_stall` gave up, for the warning."""
        upper = self.state.upper
        return (
            f"messages archived between {upper} and {upper + 1}.5 s that were not delivered "
            f"are missing; continuing with before={upper}"
            if upper is not None
            else ""
        )


def _count_tail(page: Sequence[ArchivedMessage], timestamp: int) -> int:
    n = 0
    for i in range(len(page) - 1, -1, -1):
        if page[i].timestamp != timestamp:
            break
        n += 1
    return n


def _count_head(page: Sequence[ArchivedMessage], timestamp: int) -> int:
    n = 0
    for record in page:
        if record.timestamp != timestamp:
            break
        n += 1
    return n


def _check_page(page: Sequence[ArchivedMessage], before: int | None) -> None:
    # A plain loop: faster here than attrgetter + sorted() (13 against 21 µs for 500).
    previous = None
    for record in page:
        ts = record.timestamp
        if previous is not None and ts < previous:
            raise Inconsistent("page is not sorted oldest first")
        previous = ts
    if before is not None and previous is not None and previous > before:
        raise Inconsistent(f"page holds a message reported at {previous}, after before={before}")
