"""Showing an export's progress on stderr: a one-line bar, periodic log lines, or nothing.

:class:`ProgressDisplay` polls an :class:`ExportProgress` from a task of its own. Failed
owners are reported as soon as they are seen, in every mode (``quiet`` included).
"""

from __future__ import annotations

import asyncio
import collections
import shutil
import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal, TextIO

from ..export import ExportProgress, ExportSummary

__all__ = ["Mode", "ProgressDisplay", "format_summary"]

Mode = Literal["bar", "log", "quiet"]

_BAR_INTERVAL = 0.2
_LOG_INTERVAL = 2.0
_RATE_WINDOW = 5.0
_BAR_CELLS = 20


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_summary(summary: ExportSummary, output: str | None = None) -> str:
    """The final report, several lines ending with a newline."""
    s = summary
    counts = (
        f"{s.owners_done - s.owners_skipped} exported, {s.owners_skipped} already done, "
        f"{len(s.failures)} failed"
    )
    if s.rooms:
        head = f"archives: {s.owners} ({s.owners - s.rooms} owners, {s.rooms} rooms; {counts})"
    else:
        head = f"owners:   {s.owners} ({counts})"
    lines = [
        head,
        f"messages: {s.messages:,}",
        f"pages:    {s.pages:,}",
        f"requests: {s.requests:,} ({s.retries} retries)",
        f"stalls:   {s.stalls}",
        f"elapsed:  {_duration(s.elapsed)} ({s.rate:,.0f} messages/s)",
    ]
    if output is not None and s.length is not None:
        lines.append(f"output:   {output} ({s.length:,} bytes)")
    return "\n".join(lines) + "\n"


class ProgressDisplay:
    """Renders ``progress`` on ``stream`` every 0.2 s (bar) or 2 s (log) while in use.

    Use as ``async with ProgressDisplay(progress, sys.stderr, "bar"): ...``. ``clock`` is
    injectable for tests.
    """

    def __init__(
        self,
        progress: ExportProgress,
        stream: TextIO,
        mode: Mode,
        *,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.progress = progress
        self._stream = stream
        self.mode = mode
        self._interval = interval or (_BAR_INTERVAL if mode == "bar" else _LOG_INTERVAL)
        self._clock = clock
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._reported = 0
        self._bar_shown = False
        self._task: asyncio.Task[None] | None = None

    def rate(self) -> float:
        """Messages per second over the last few seconds."""
        now, messages = self._clock(), self.progress.messages
        self._samples.append((now, messages))
        while len(self._samples) > 2 and now - self._samples[1][0] >= _RATE_WINDOW:
            self._samples.popleft()
        then, before = self._samples[0]
        return (messages - before) / (now - then) if now > then else 0.0

    def line(self) -> str:
        """The current status, without a newline."""
        p = self.progress
        rate = self.rate()
        failed = f", {p.owners_failed} failed" if p.failures else ""
        noun = "archives" if p.rooms_total else "owners"
        if self.mode == "bar":
            total = p.owners_total or 1
            filled = round(_BAR_CELLS * (p.owners_done + p.owners_failed) / total)
            bar = "#" * filled + "-" * (_BAR_CELLS - filled)
            return (
                f"[{bar}] {noun} {p.owners_done}/{p.owners_total}{failed} | "
                f"{p.messages:,} messages | {rate:,.0f} msg/s | {_duration(p.elapsed())}"
            )
        return (
            f"export: {p.messages:,} messages ({rate:,.0f}/s), {noun} {p.owners_done}/"
            f"{p.owners_total} done{failed}, {p.pages:,} pages, {p.requests:,} requests, "
            f"{p.stalls} stalls, {_duration(p.elapsed())}"
        )

    def tick(self) -> None:
        """Report new failures, then redraw the bar or write a log line."""
        self._report_failures()
        if self.mode == "bar":
            width = shutil.get_terminal_size((100, 24)).columns - 1
            self._stream.write("\r" + self.line()[:width] + "\x1b[K")
            self._bar_shown = True
        elif self.mode == "log":
            self._stream.write(self.line() + "\n")
        self._stream.flush()

    def _report_failures(self) -> None:
        failures = self.progress.failures
        if self._reported >= len(failures):
            return
        self._clear_bar()
        for failure in failures[self._reported :]:
            # An owner the server listed may hold control codes: never raw to a terminal.
            owner = failure.owner if failure.owner.isprintable() else repr(failure.owner)
            self._stream.write(f"aiomongoose: {owner}: failed: {failure.message}\n")
        self._reported = len(failures)

    def _clear_bar(self) -> None:
        if self._bar_shown:
            self._stream.write("\r\x1b[K")
            self._bar_shown = False

    def finish(self) -> None:
        """Final redraw (the bar ends with a newline) and any failure not yet reported."""
        if self.mode == "bar":
            self.tick()
            self._stream.write("\n")
            self._bar_shown = False
        else:
            self._report_failures()
        self._stream.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.tick()

    async def __aenter__(self) -> ProgressDisplay:
        self.rate()
        self._task = asyncio.ensure_future(self._run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self.finish()
