"""The mutable state that the fake server's handlers share with :class:`FakeMongooseIM`."""

from __future__ import annotations

import asyncio
import random
import time

import attrs

from ._archive import Archive
from ._faults import FaultPlan
from ._records import RecordedRequest
from ._versions import Profile

__all__ = ["AppState", "FakeClock"]


class FakeClock:
    """A microsecond clock that runs at wall-clock speed from its last setting.

    :meth:`next_send_us` never returns the same value twice, so every send advances the
    clock by at least 1 µs even when sends come faster than the wall clock ticks.
    """

    def __init__(self) -> None:
        self._set(time.time_ns() // 1000)

    def _set(self, value_us: int) -> None:
        self._base_us = value_us
        self._base_ns = time.monotonic_ns()
        self._last_us = value_us - 1

    def now_us(self) -> int:
        """The current fake time, in microseconds since the epoch."""
        running = self._base_us + (time.monotonic_ns() - self._base_ns) // 1000
        return max(running, self._last_us + 1)

    def set_us(self, value_us: int) -> None:
        """Set the clock (it may go backwards); the next send gets at least ``value_us``."""
        self._set(value_us)

    def next_send_us(self) -> int:
        """The time of a new send: now, and later than every earlier send."""
        value = self.now_us()
        self._last_us = value
        return value


@attrs.define
class AppState:
    """Configuration and data of one fake server."""

    profile: Profile
    max_result_limit: int
    auth: tuple[str, str] | None
    host: str | None
    archive: Archive = attrs.Factory(Archive)
    faults: FaultPlan = attrs.Factory(FaultPlan)
    requests: list[RecordedRequest] = attrs.Factory(list)
    clock: FakeClock = attrs.Factory(FakeClock)
    closing: asyncio.Event | None = None
    id_random: random.Random = attrs.Factory(random.Random)
    mam_enabled: bool = True
    disabled_categories: set[str] = attrs.Factory(set)

    def new_message_id(self) -> str:
        """A fresh stanza id: 16 lowercase hex characters, as the real server makes them."""
        return f"{self.id_random.getrandbits(64):016x}"
