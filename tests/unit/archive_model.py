"""An independent model of MongooseIM's REST archive reads, for the pager's tests.

Written from the server's rules alone (not from the pager, not from the fake server): the
archive keeps microsecond times; ``before=B`` selects ``time <= B * 10**6``; the answer is
the newest ``min(limit, cap)`` matches, oldest first; each reports its time in seconds,
rounded half up.
"""

from __future__ import annotations

from bisect import bisect_right

from aiomongoose.models import ArchivedMessage
from aiomongoose.paging.seconds import BackwardPager
from aiomongoose.paging.signals import StallDetected

US = 1_000_000


def reported(t_us: int) -> int:
    """Seconds, rounded half up: ``T`` covers ``[T - 0.5 s, T + 0.5 s)``."""
    return (t_us + US // 2) // US


class ModelServer:
    """The archive of one owner: ``(time_us, record)`` pairs, kept in archive order."""

    def __init__(self, entries: list[tuple[int, ArchivedMessage]], cap: int) -> None:
        # archive order: time, then insertion (sorted() is stable)
        self.entries = sorted(entries, key=lambda e: e[0])
        self.times = [t for t, _ in self.entries]
        self.cap = cap
        self.requests: list[tuple[int | None, int | None]] = []

    def page(self, before: int | None, limit: int | None) -> list[ArchivedMessage]:
        self.requests.append((before, limit))
        size = min(100 if limit is None else limit, self.cap)
        end = len(self.times) if before is None else bisect_right(self.times, before * US)
        return [rec for _, rec in self.entries[max(0, end - size) : end]] if size else []

    def newest_first(self, upper: int | None = None) -> list[ArchivedMessage]:
        return [r for t, r in reversed(self.entries) if upper is None or t <= upper * US]


def record(t_us: int, sender: str = "a@x", mid: str = "", body: str | None = "hi") -> tuple:
    return (t_us, ArchivedMessage(sender, reported(t_us), mid, body))


def distinct(times: list[int]) -> list[tuple[int, ArchivedMessage]]:
    """One record per time, each with its own body (so any reordering shows)."""
    return [record(t, body=str(i)) for i, t in enumerate(times)]


def densest_window(times: list[int], width_us: int = 3 * US // 2) -> int:
    """The most archive entries inside any closed window of ``width_us``."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > width_us:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


class Run:
    """The outcome of paging one archive to its end (or to a stall)."""

    def __init__(self, server: ModelServer, pager: BackwardPager) -> None:
        self.out: list[ArchivedMessage] = []
        self.stall: StallDetected | None = None
        self.pager = pager
        guard = 3 * len(server.entries) + 10
        while not pager.done:
            guard -= 1
            assert guard > 0, "the pager loops"
            page = server.page(pager.next_before(), pager.next_limit())
            try:
                self.out.extend(pager.advance(page))
            except StallDetected as stall:
                self.stall = stall
                break
        self.requests = len(server.requests)


def drain(
    server: ModelServer,
    page_size: int | None,
    *,
    upper: int | None = None,
    cursor: object | None = None,
) -> Run:
    return Run(server, BackwardPager.start(upper, page_size, cursor))


def check_exactly_once(server: ModelServer, page_size: int, upper: int | None = None) -> Run:
    """Page ``server`` and assert the issue's two promises; return the run.

    1. Never a silent loss: with ``page_size`` at most the cap, the output is the archive,
       newest first, or a prefix of it followed by a stall. Above the cap, a prefix may
       also end with ``doubt`` set (the documented undecidable case), never silently.
    2. No false alarm: a stall only where some closed 1.5 s holds a served page,
       ``min(page_size, cap)`` messages; below that, the request count stays within
       ``N / (P - w) + 3``.
    """
    run = drain(server, page_size, upper=upper)
    full = server.newest_first(upper)
    served = min(page_size, server.cap)
    window = densest_window([t for t in server.times if upper is None or t <= upper * US])
    where = f"cap={server.cap} page_size={page_size} upper={upper} times={server.times}"
    assert run.out == full[: len(run.out)], f"not a prefix of the archive: {where}"
    if run.stall is not None:
        assert window >= served, f"stalled although no 1.5 s holds a page: {where}"
        return run
    if run.out != full:
        assert page_size > server.cap, f"silent loss: {where}"
        assert run.pager.doubt, f"lost messages without a word: {where}"
        return run
    if run.pager.doubt and page_size <= server.cap:
        # Only an archive smaller than one page leaves the cap unknown.
        assert len(full) < page_size, f"needless doubt: {where}"
    if window < served:
        assert run.requests <= -(-len(full) // (served - window)) + 3, where
    return run
