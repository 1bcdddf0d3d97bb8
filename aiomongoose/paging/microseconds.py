"""Paging backwards through a GraphQL archive: microsecond ``before`` and unique stanza ids.

Pure logic, no I/O (the REST counterpart is :mod:`aiomongoose.paging.seconds`). GraphQL
reports microsecond times and every record carries the archive's unique ``stanza_id``, so
(docs/server-behaviour.md, "Paging backwards over GraphQL"): continue with ``before`` = the
oldest delivered time (inclusive), drop the records whose ``stanza_id`` was delivered at
that very microsecond, and stop at a page shorter than the ``limit`` the server reports
having applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._codec import STRUCTURE_ERRORS, structure_strict
from .._time import LAST_US
from ..errors import InvalidArgumentError
from ..models import ArchivedMessage
from .signals import Inconsistent, StallDetected

__all__ = ["GraphQLCursor", "GraphQLPager"]

_CURSOR_VERSION = 1
_API = "graphql"
# The server's page size when no limit is sent (GraphQL's default for getLastMessages).
_DEFAULT_LIMIT = 50


_time_us = attrs.validators.optional(
    attrs.validators.and_(attrs.validators.ge(0), attrs.validators.le(LAST_US))
)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class GraphQLCursor:
    """Resumable state; JSON-serialisable through :meth:`to_json`."""

    upper_us: int | None = attrs.field(default=None, validator=_time_us)  # None: no bound
    oldest_us: int | None = attrs.field(default=None, validator=_time_us)  # oldest delivered
    seen: list[str] = attrs.Factory(list)  # stanza ids delivered at exactly `oldest_us`
    limit: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(0))
    )
    done: bool = False

    def __attrs_post_init__(self) -> None:
        if (self.oldest_us is None) != (not self.seen):
            raise ValueError("oldest_us and seen do not fit together")

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["v"], data["api"] = _CURSOR_VERSION, _API
        return data

    @classmethod
    def from_json(cls, data: object) -> GraphQLCursor:
        if (
            not isinstance(data, Mapping)
            or type(data.get("v")) is not int
            or data.get("v") != _CURSOR_VERSION
            or data.get("api") != _API
        ):
            raise InvalidArgumentError("not a GraphQL history cursor")
        fields = {k: v for k, v in data.items() if k not in ("v", "api")}
        try:
            return structure_strict(fields, cls)
        except STRUCTURE_ERRORS as exc:
            raise InvalidArgumentError(f"bad GraphQL history cursor: {exc}") from None


class GraphQLPager:
    """The GraphQL paging state machine; the same protocol as ``BackwardPager``."""

    def __init__(self, state: GraphQLCursor) -> None:
        self.state = state
        self.doubt: str | None = None  # microsecond paging always knows where it ends

    @classmethod
    def start(
        cls, before_us: int | None, page_size: int | None, cursor: object | None
    ) -> GraphQLPager:
        """A pager for ``before_us`` and ``page_size``, or resuming from ``cursor``."""
        if cursor is None:
            return cls(GraphQLCursor(upper_us=before_us, limit=page_size))
        state = GraphQLCursor.from_json(cursor)
        if before_us is not None and before_us != state.upper_us:
            raise InvalidArgumentError("before differs from the cursor's bound: give one")
        state.limit = page_size
        return cls(state)

    @property
    def done(self) -> bool:
        return self.state.done

    def seconds_of(self, before: int | None) -> int:
        return (before or 0) // 1_000_000

    def next_before(self) -> int | None:
        """``before`` of the next request, in microseconds (inclusive)."""
        st = self.state
        return st.upper_us if st.oldest_us is None else st.oldest_us

    def next_limit(self) -> int | None:
        """Room for one more than was delivered at ``oldest_us``: a page made only of those
        would bring nothing new. The server caps it; a full page of them is a stall."""
        st = self.state
        needed = len(st.seen) + 1
        if st.limit is None:
            return None if needed <= _DEFAULT_LIMIT else needed
        return max(st.limit, needed)

    def advance(
        self, page: Sequence[ArchivedMessage], applied_limit: int | None = None
    ) -> list[ArchivedMessage]:
        """Take one answer (oldest first); return the new messages, newest first."""
        st = self.state
        if st.done:
            raise RuntimeError("advance() after the pager finished")
        before = self.next_before()
        previous = -1
        for record in page:
            t = record.timestamp_us
            if t is None or record.stanza_id is None:
                raise Inconsistent("a GraphQL record lacks its time or stanza id")
            if t < previous or (before is not None and t > before):
                raise Inconsistent("page is not sorted oldest first within `before`")
            previous = t
        seen = set(st.seen)
        new = [r for r in page if not (r.timestamp_us == st.oldest_us and r.stanza_id in seen)]
        short = applied_limit is None or len(page) < applied_limit
        if not new:
            if page and not short:
                # A full page at one microsecond, all delivered: nothing steps past it.
                assert st.oldest_us is not None
                raise StallDetected(st.oldest_us // 1_000_000, len(st.seen))
            st.done = True
            return []
        self._record(new)
        st.done = short
        return new[::-1]

    def _record(self, new: Sequence[ArchivedMessage]) -> None:
        st = self.state
        oldest = new[0].timestamp_us
        assert oldest is not None
        ids = [r.stanza_id for r in new if r.timestamp_us == oldest and r.stanza_id is not None]
        st.seen = (st.seen + ids) if oldest == st.oldest_us else ids
        st.oldest_us = oldest

    def cursor_after(self, prior: GraphQLCursor, consumed: Sequence[ArchivedMessage]) -> Any:
        """The cursor after handing out ``consumed`` (newest first) of the page after ``prior``."""
        if not consumed:
            return prior.to_json()
        partial = GraphQLPager(attrs.evolve(prior, seen=list(prior.seen), done=False))
        partial._record(list(reversed(consumed)))
        return partial.state.to_json()

    def snapshot(self) -> GraphQLCursor:
        return attrs.evolve(self.state, seen=list(self.state.seen))

    def skip_stall(self) -> int:
        """Continue strictly below the stuck microsecond; returns its second."""
        st = self.state
        assert st.oldest_us is not None
        stuck = st.oldest_us
        st.upper_us, st.oldest_us, st.seen = stuck - 1, None, []
        st.done = st.upper_us < 0
        return stuck // 1_000_000

    def skip_note(self) -> str:
        """What :meth:`skip_stall` gave up, for the warning."""
        upper = self.state.upper_us
        if upper is None:
            return ""
        return (
            f"messages archived at microsecond {upper + 1} beyond those delivered are "
            f"missing; continuing below it"
        )
