"""The progress display and the summary text (no HTTP, a fake clock)."""

from __future__ import annotations

import asyncio
import io

from aiomongoose.cli.progress import ProgressDisplay, format_summary
from aiomongoose.export import ExportProgress, ExportSummary, OwnerFailure


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress_at(clock: Clock) -> ExportProgress:
    return ExportProgress(owners_total=20, owners_done=5, started=clock.now - 10)


def test_bar_line_shows_messages_rate_and_owners(monkeypatch) -> None:
    monkeypatch.setattr("time.monotonic", lambda: 110.0)
    clock = Clock()
    progress = progress_at(clock)
    display = ProgressDisplay(progress, io.StringIO(), "bar", clock=clock)
    display.rate()  # first sample: 0 messages at t=100
    clock.now, progress.messages = 102.0, 9000
    assert display.line() == (
        "[#####---------------] owners 5/20 | 9,000 messages | 4,500 msg/s | 20.0 s"
    )


def test_log_line_and_failures(monkeypatch) -> None:
    monkeypatch.setattr("time.monotonic", lambda: 190.0)
    clock = Clock()
    progress = progress_at(clock)
    progress.started = 65.0
    stream = io.StringIO()
    display = ProgressDisplay(progress, stream, "log", clock=clock)
    display.rate()
    clock.now = 104.0
    progress.messages, progress.pages, progress.requests, progress.stalls = 2000, 40, 41, 1
    progress.failures.append(OwnerFailure("x@y.lit", RuntimeError("gone")))
    display.tick()
    assert stream.getvalue() == (
        "aiomongoose: x@y.lit: failed: RuntimeError: gone\n"
        "export: 2,000 messages (500/s), owners 5/20 done, 1 failed, 40 pages, 41 requests, "
        "1 stalls, 2:05\n"
    )
    display.tick()  # a failure is reported once
    assert stream.getvalue().count("failed: RuntimeError") == 1


def test_quiet_reports_only_failures() -> None:
    progress = ExportProgress(owners_total=2)
    stream = io.StringIO()
    display = ProgressDisplay(progress, stream, "quiet")
    display.tick()
    assert stream.getvalue() == ""
    progress.failures.append(OwnerFailure("a@b.lit", ValueError("no")))
    display.finish()
    assert stream.getvalue() == "aiomongoose: a@b.lit: failed: ValueError: no\n"


def test_bar_is_cleared_before_an_error_and_ends_with_newline() -> None:
    progress = ExportProgress(owners_total=1)
    stream = io.StringIO()
    display = ProgressDisplay(progress, stream, "bar")
    display.tick()
    assert stream.getvalue().startswith("\r[--------------------] owners 0/1 | 0 messages")
    progress.failures.append(OwnerFailure("a@b.lit", ValueError("no")))
    progress.owners_done = 0
    display.finish()
    text = stream.getvalue()
    assert "\r\x1b[Kaiomongoose: a@b.lit: failed: ValueError: no\n\r[####################]" in text
    assert text.endswith("\x1b[K\n")


async def test_display_ticks_while_in_use() -> None:
    progress = ExportProgress(owners_total=1)
    stream = io.StringIO()
    async with ProgressDisplay(progress, stream, "log", interval=0.01):
        await asyncio.sleep(0.055)
    assert 3 <= stream.getvalue().count("export: 0 messages") <= 7


def test_summary_text() -> None:
    summary = ExportSummary(
        owners=20,
        owners_done=19,
        owners_skipped=4,
        failures=(OwnerFailure("a@b.lit", ValueError("x")),),
        messages=196450,
        pages=4156,
        requests=4157,
        retries=0,
        stalls=2,
        elapsed=3.25,
        length=28825534,
    )
    assert format_summary(summary, "out.jsonl") == (
        "owners:   20 (15 exported, 4 already done, 1 failed)\n"
        "messages: 196,450\n"
        "pages:    4,156\n"
        "requests: 4,157 (0 retries)\n"
        "stalls:   2\n"
        "elapsed:  3.2 s (60,446 messages/s)\n"
        "output:   out.jsonl (28,825,534 bytes)\n"
    )
    assert "output:" not in format_summary(summary)
