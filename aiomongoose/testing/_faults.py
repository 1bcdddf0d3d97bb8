"""Fault injection: the plan that decides, request by request, whether to misbehave."""

from __future__ import annotations

import random
from typing import Literal

import attrs

__all__ = ["Decision", "DropWhen", "FaultPlan"]

DropWhen = Literal["before", "during"]
FaultKind = Literal["fail", "drop-before", "drop-during", "malformed"]

DEFAULT_MALFORMED_BODY = b'[{"sender": "alice@wonderland.lit", "timestamp": 17'


@attrs.frozen
class Decision:
    """What to do instead of (or, for ``drop-during``, while) answering a request."""

    kind: FaultKind
    status: int = 200
    body: bytes | str = b""


@attrs.define
class _OneShot:
    decision: Decision
    remaining: int
    method: str | None


@attrs.define
class _Random:
    fail_rate: float
    drop_rate: float
    max_consecutive: int
    seed: int | str
    method: str | None
    status: int
    drop_when: DropWhen
    attempts: dict[tuple[str, str, str], int] = attrs.Factory(dict)
    streaks: dict[tuple[str, str, str], int] = attrs.Factory(dict)

    def decide(self, key: tuple[str, str, str]) -> Decision | None:
        attempt = self.attempts.get(key, 0)
        self.attempts[key] = attempt + 1
        streak = self.streaks.get(key, 0)
        decision: Decision | None = None
        if streak < self.max_consecutive:
            # Seeded by the request and its attempt number, not by arrival order, so that
            # concurrent requests get the same faults on every run.
            draw = random.Random(f"{self.seed}\x00{key}\x00{attempt}").random()
            if draw < self.fail_rate:
                decision = Decision("fail", self.status)
            elif draw < self.fail_rate + self.drop_rate:
                decision = Decision("drop-before" if self.drop_when == "before" else "drop-during")
        self.streaks[key] = streak + 1 if decision is not None else 0
        return decision


def _check_method(method: str | None) -> str | None:
    if method is None:
        return None
    if not isinstance(method, str) or not method:
        raise ValueError(f"method must be an HTTP method name or None, not {method!r}")
    return method.upper()


def _check_count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"the number of requests must be a non-negative int, not {n!r}")
    return n


class FaultPlan:
    """One-shot faults (first registered, first used), a delay, and a random mode."""

    def __init__(self) -> None:
        self.delay_s = 0.0
        self._queue: list[_OneShot] = []
        self._random: _Random | None = None
        self._stream_cuts: list[int] = []

    def cut_streams(self, n_events: int, streams: int) -> None:
        """Break off each of the next ``streams`` SSE streams after ``n_events`` events."""
        if isinstance(n_events, bool) or not isinstance(n_events, int) or n_events < 0:
            raise ValueError(f"n_events must be a non-negative int, not {n_events!r}")
        self._stream_cuts.extend([n_events] * _check_count(streams))

    def next_stream_cut(self) -> int | None:
        """The number of events after which a starting stream breaks off, if it does."""
        return self._stream_cuts.pop(0) if self._stream_cuts else None

    def add(self, decision: Decision, n: int, method: str | None) -> None:
        """Apply ``decision`` to the next ``n`` requests (of ``method`` only, if given)."""
        n = _check_count(n)
        if n:
            self._queue.append(_OneShot(decision, n, _check_method(method)))

    def set_random(
        self,
        *,
        fail_rate: float,
        drop_rate: float,
        max_consecutive: int,
        seed: int | str,
        method: str | None,
        status: int,
        drop_when: DropWhen,
    ) -> None:
        """Turn on (or, with both rates 0, off) the random mode."""
        if not (0.0 <= fail_rate and 0.0 <= drop_rate and fail_rate + drop_rate <= 1.0):
            raise ValueError("fail_rate and drop_rate must be >= 0 with a sum <= 1")
        if drop_when not in ("before", "during"):
            raise ValueError(f"drop_when must be 'before' or 'during', not {drop_when!r}")
        _check_count(max_consecutive)
        if fail_rate == 0.0 and drop_rate == 0.0:
            self._random = None
            return
        self._random = _Random(
            fail_rate,
            drop_rate,
            max_consecutive,
            seed,
            _check_method(method),
            status,
            drop_when,
        )

    def clear(self) -> None:
        """Remove every fault and the delay."""
        self.delay_s = 0.0
        self._queue.clear()
        self._random = None
        self._stream_cuts.clear()

    def decide(self, method: str, path: str, query: str) -> Decision | None:
        """The fault for this request, if any; consumes one use of a one-shot fault."""
        for shot in self._queue:
            if shot.method is None or shot.method == method:
                shot.remaining -= 1
                if shot.remaining <= 0:
                    self._queue.remove(shot)
                return shot.decision
        chaos = self._random
        if chaos is not None and (chaos.method is None or chaos.method == method):
            return chaos.decide((method, path, query))
        return None
