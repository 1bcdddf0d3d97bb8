"""Paging backwards through a REST archive with a second-granular, inclusive ``before``.

Pure logic, no I/O: :class:`BackwardPager` says which ``before`` and ``limit`` to ask for
next and, given the page that came back, which messages are new. The server keeps
microsecond times, reports seconds rounded half up (a record reported as ``T`` happened in
``[T - 0.5 s, T + 0.5 s)``), selects ``time <= before * 10**6`` and answers the newest
``min(limit, cap)`` matches, oldest first, where ``cap`` is its ``max_result_limit``.

The reasoning, step by step (docs/server-behaviour.md, "Paging backwards over REST"):

* What has been delivered is always a *suffix* of the archive's order; every message not yet
  delivered is older and reports at most ``T``, the oldest delivered second.
* ``before = T + 1`` selects every undelivered message, plus the delivered ones that happened
  at or before ``T + 1 s``: all delivered ones reporting ``T`` (counted) and those reporting
  ``T + 1`` in the answer. They close the answer; that count is the overlap, dropped by
  position and checked by content.
* A page proves it is *not full*, hence the whole selection, when it is shorter than both
  its ``limit`` and the longest answer ever seen (the cap is at least that). A page of new
  messages that follows a short page proves the short one was full: the cap is then known.
* An answer with nothing new that may be full means the delivered messages within
  ``[T - 0.5 s, T + 1 s]`` fill a page. One more request with the largest limit any server
  takes (500: MongooseIM 3.x refuses more, 6.x silently caps) steps past them when the
  server's cap exceeds ``page_size``. If that still brings nothing new and may be full, a
  message that is not delivered may hide in ``(T, T + 0.5 s)``, where no ``before`` can
  reach it: :class:`StallDetected`, which is only ever raised when some 1.5 s of the archive
  holds at least a page.
* When every answer was shorter than ``page_size`` (the cap may be below it, unknown), a
  probe at ``before = T`` tells "more exists" (stall) from "nothing more is visible". In the
  latter case the pager ends, but :attr:`BackwardPager.doubt` says why it cannot be sure: if
  the cap equals those answers, messages may hide in ``(T, T + 0.5 s)``.

Records that are identical in every field cannot be told apart, so no conclusion here rests
on content: only on counts, reported seconds and the server's ordering rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ..errors import InvalidArgumentError
from ..models import ArchivedMessage, MessageList
from .seconds_cursor import BELOW, DEFAULT_PAGE_SIZE, ESCAPE, NORMAL, CursorState
from .signals import Inconsistent, StallDetected

__all__ = ["DEFAULT_PAGE_SIZE", "BackwardPager"]

# MongooseIM 3.x answers a limit above 500 with an error; 6.x caps any limit silently.
ESCAPE_LIMIT = 500


class BackwardPager:
    """The paging state machine for one archive (one owner, optionally one peer).

    Loop: while not ``done``, request ``before=next_before()`` with ``limit=next_limit()``
    and pass the answer (server order, oldest first) to :meth:`advance`, which returns the
    new messages newest first. When it ends with ``doubt`` set, say so to the user.
    """

    def __init__(self, state: CursorState) -> None:
        self.state = state
        # Why the end could not be proven (the cap may be below page_size), or None.
        self.doubt: str | None = None
        # Delivered records reporting `oldest` or `oldest + 1`, oldest first: the overlap
        # is checked against them by content. Empty after a resume.
        self._boundary: list[ArchivedMessage] = []

    @classmethod
    def start(
        cls,
        before: int | None,
        page_size: int | None,
        cursor: object | None,
        cap_floor: int = 0,
    ) -> BackwardPager:
        """A pager for ``before`` (seconds) and ``page_size``, or resuming from ``cursor``.

        ``cap_floor``: the longest answer already seen from this server for the archive's
        domain (:class:`.cap_floor.CapFloor`), a lower bound of its cap."""
        limit = DEFAULT_PAGE_SIZE if page_size is None else page_size
        if cursor is not None:
            state = CursorState.from_json(cursor)
            if before is not None and before != state.upper:
                raise InvalidArgumentError("before differs from the cursor's bound: give one")
            # What was learnt of the server's cap holds for any limit.
            state.limit = limit
        else:
            # Nothing is archived at or before the epoch (and 3.x reads before=0 as "now").
            state = CursorState(upper=before, limit=limit, done=before == 0)
        if not state.cap_exact:
            state.cap_seen = max(state.cap_seen, cap_floor)
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
        st = self.state
        partial = attrs.evolve(
            prior,
            oldest=oldest,
            at_oldest=at_oldest,
            cap_seen=st.cap_seen,
            cap_exact=st.cap_exact,
            # The rest of this page is still to come: new messages after a resume prove
            # nothing about the cap.
            short_page=None,
            phase=NORMAL,
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
        if st.phase == BELOW:
            return st.oldest
        nxt = st.oldest + 1
        return nxt if st.upper is None else min(nxt, st.upper)

    def next_limit(self) -> int:
        """The ``limit`` of the next request."""
        st = self.state
        return ESCAPE_LIMIT if st.phase == ESCAPE else st.limit

    def advance(
        self, page: Sequence[ArchivedMessage], applied_limit: int | None = None
    ) -> list[ArchivedMessage]:
        """Take the answer to ``next_before()``; return the new messages, newest first.

        ``applied_limit`` is for GraphQL's pager; REST reports no page size.
        """
        st = self.state
        if st.done:
            raise RuntimeError("advance() after the pager finished")
        before, limit = self.next_before(), self.next_limit()
        _check_page(page, before)
        m = len(page)
        if st.cap_exact and m > st.cap_seen:
            raise Inconsistent(f"a page of {m} although the server's cap is {st.cap_seen}")
        st.cap_seen = max(st.cap_seen, m)
        # Shorter than its limit and than an answer already seen: the whole selection.
        not_full = m < min(limit, st.cap_seen)
        if st.phase == BELOW:
            self._after_probe(page, not_full)
            return []
        overlap = 0
        if st.oldest is not None:
            above = _count_tail(page, st.oldest + 1)  # every one of them is delivered
            overlap = st.at_oldest + above
            self._check_overlap(page, overlap, above, not_full)
        fresh = m - overlap
        if fresh > 0:
            if st.short_page is not None:
                self._learn_cap(st.short_page, m)
            self._record(page[:fresh])
            st.phase = NORMAL
            st.short_page = m if m < limit else None
            st.done = not_full
            return list(reversed(page[:fresh]))
        st.short_page = None
        if not_full or st.oldest is None:
            st.done = True  # the whole selection, and nothing in it is new
        elif st.phase == NORMAL and m >= limit and limit < ESCAPE_LIMIT:
            st.phase = ESCAPE  # a full page of page_size: try the largest limit
        elif m >= st.limit or st.cap_exact:
            # Full for certain (or at least page_size long): stuck at T + 1.
            st.phase = NORMAL
            raise StallDetected(
                st.oldest,
                st.at_oldest,
                f"{m} messages already delivered sit within about 1.5 s of {st.oldest}, "
                "a full page of the server's, so no second-granular `before` can step "
                "past them",
            )
        else:
            # Every answer so far was shorter than page_size: the cap may be below it.
            self._probe_below()
        return []

    def _probe_below(self) -> None:
        st = self.state
        assert st.oldest is not None
        if st.oldest <= 0 or (st.upper is not None and st.upper <= st.oldest):
            self._end_in_doubt()  # no lower `before` exists that selects something else
        else:
            st.phase = BELOW

    def _after_probe(self, page: Sequence[ArchivedMessage], not_full: bool) -> None:
        """The answer at ``before = T``, asked when the cap may be below page_size."""
        st = self.state
        assert st.oldest is not None
        st.phase = NORMAL
        at_t = _count_tail(page, st.oldest)
        if at_t < len(page) or at_t > st.at_oldest:
            # Something undelivered exists, so the first page was capped: the cap is the
            # answers' length, and a full page of them is stuck at T + 1.
            st.cap_exact = True
            raise StallDetected(
                st.oldest,
                st.at_oldest,
                f"the server's pages hold {st.cap_seen} messages (fewer than page_size "
                f"{st.limit}) and that many sit within about 1.5 s of {st.oldest}, so no "
                "second-granular `before` can step past them",
            )
        self._end_in_doubt()

    def _end_in_doubt(self) -> None:
        st = self.state
        st.done = True
        self.doubt = (
            f"every answer held at most {st.cap_seen} messages although page_size is "
            f"{st.limit}; if that is the server's max_result_limit, messages archived "
            f"within half a second after {st.oldest} may be missing (with a page_size no "
            "larger than the server's limit, history() raises PaginationError instead)"
        )

    def _learn_cap(self, short: int, m: int) -> None:
        """New messages right after a short answer: that answer was the server's cap."""
        st = self.state
        if m > short or st.cap_seen > short:
            raise Inconsistent("pages of different lengths contradict the server's cap")
        st.cap_exact = True

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

    def _check_overlap(
        self, page: Sequence[ArchivedMessage], overlap: int, above: int, not_full: bool
    ) -> None:
        st = self.state
        m = len(page)
        if m < overlap and not_full:
            raise Inconsistent("a short page lacks messages that were delivered before")
        if above == m:
            # Only delivered messages reporting `oldest + 1`: how many more of them the
            # selection holds is unknown, so their place in `_boundary` is too.
            return
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

    def skip_stall(self) -> int:
        """Give up on the window at ``oldest``: continue strictly below it (``before = T - 1``).

        Messages archived within ``[T - 1 s, T + 0.5 s)`` that were not delivered are lost;
        returns ``T``. Only for ``on_stall="skip"``.
        """
        st = self.state
        assert st.oldest is not None
        stalled = st.oldest
        st.upper = stalled - 1
        st.oldest, st.at_oldest, st.phase, st.short_page = None, 0, NORMAL, None
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
    # On the page's timestamp column when it has one (records not built yet): sorted()
    # of an already sorted list is one C pass, cheaper than a Python loop over records.
    if type(page) is MessageList:
        timestamps = page._timestamps()
    else:
        timestamps = [record.timestamp for record in page]
    if not timestamps:
        return
    if timestamps != sorted(timestamps):
        raise Inconsistent("page is not sorted oldest first")
    newest = timestamps[-1]
    if before is not None and newest > before:
        raise Inconsistent(f"page holds a message reported at {newest}, after before={before}")
