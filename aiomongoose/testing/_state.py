"""The mutable state that the fake server's handlers share with :class:`FakeMongooseIM`."""

from __future__ import annotations

import asyncio
import random
import time

import attrs

from ._archive import Archive
from ._faults import FaultPlan
from ._records import RecordedRequest
from ._rooms import Rooms
from ._routing import Router
from ._versions import Profile

__all__ = ["AppState", "FakeClock"]


class FakeClock:
    """A microsecond clock: the wall clock until it is set, then standing at what was set.

    :meth:`next_send_us` is the time of a new send, later than every earlier send: once the
    clock is set, each send takes its time and moves it on by 1 µs (reading never moves it).
    """

    def __init__(self) -> None:
        self._set_us: int | None = None
        self._next_us = 0  # the earliest time of the next send while following the wall clock

    def now_us(self) -> int:
        """The current fake time, in microseconds since the epoch."""
        if self._set_us is not None:
            return self._set_us
        return max(time.time_ns() // 1000, self._next_us)

    def set_us(self, value_us: int) -> None:
        """Set the clock (it may go backwards); it reads ``value_us`` until a send."""
        self._set_us = value_us

    def next_send_us(self) -> int:
        """The time of a new send: now, and later than every earlier send."""
        value = self.now_us()
        if self._set_us is not None:
            self._set_us = value + 1
        else:
            self._next_us = value + 1
        return value


@attrs.define
class AppState:
    """Configuration and data of one fake server."""

    profile: Profile
    max_result_limit: int
    auth: tuple[str, str] | None
    host: str | None
    archive: Archive = attrs.Factory(Archive)
    rooms: Rooms = attrs.Factory(lambda self: Rooms(self.archive), takes_self=True)
    faults: FaultPlan = attrs.Factory(FaultPlan)
    requests: list[RecordedRequest] = attrs.Factory(list)
    clock: FakeClock = attrs.Factory(FakeClock)
    closing: asyncio.Event | None = None
    id_random: random.Random = attrs.Factory(random.Random)
    mam_enabled: bool = True
    disabled_categories: set[str] = attrs.Factory(set)
    router: Router = attrs.Factory(Router)
    sse_idle_timeout: float = 3600.0
    request_log_size: int | None = 1000

    def log_request(self, record: RecordedRequest) -> None:
        """Add a request to the log, dropping the oldest beyond ``request_log_size``."""
        self.requests.append(record)
        self.trim_request_log()

    def trim_request_log(self) -> None:
        """Keep only the newest ``request_log_size`` requests (all of them when ``None``)."""
        size = self.request_log_size
        if size is not None and len(self.requests) > size:
            del self.requests[: len(self.requests) - size]

    def new_message_id(self) -> str:
        """A fresh stanza id: 16 lowercase hex characters, as the real server makes them."""
        return f"{self.id_random.getrandbits(64):016x}"
