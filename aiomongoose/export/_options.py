"""The values of the export API: what to export, live counters, and the final summary."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Literal

import aiohttp
import attrs

from .._validate import as_timeout, before_seconds, positive_int
from ..errors import InvalidArgumentError, MongooseIMError
from ..jid import validate_jid

__all__ = [
    "CheckpointError",
    "OutputLockedError",
    "ExportOptions",
    "ExportProgress",
    "ExportSummary",
    "Format",
    "OwnerFailure",
]

Format = Literal["jsonl", "csv"]
OnStall = Literal["raise", "skip"]


class CheckpointError(MongooseIMError, ValueError):
    """The checkpoint beside the output cannot be used to resume.

    It is unreadable, was written by an export with other settings or owners, or the output
    file no longer holds what it describes. Start afresh (without ``resume``) or fix the files.
    """


class OutputLockedError(MongooseIMError, RuntimeError):
    """Another export is writing the same output file (it holds the file's lock)."""


def _before(value: int | datetime | None) -> int | None:
    return before_seconds(value)


def _shard(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value  # checked in _check


def _check(options: ExportOptions) -> None:
    if options.with_ is not None:
        validate_jid(options.with_, "with_")
    if options.page_size is not None:
        positive_int(options.page_size, "page_size")
    positive_int(options.concurrency, "concurrency")
    if options.format not in ("jsonl", "csv"):
        raise InvalidArgumentError("format must be 'jsonl' or 'csv'")
    if options.on_stall not in ("raise", "skip"):
        raise InvalidArgumentError("on_stall must be 'raise' or 'skip'")
    if not isinstance(options.chronological, bool) or not isinstance(options.resume, bool):
        raise InvalidArgumentError("chronological and resume must be bool")
    as_timeout(options.timeout)
    shard = options.shard
    if shard is not None and not (
        isinstance(shard, tuple)
        and len(shard) == 2
        and all(type(part) is int for part in shard)
        and 1 <= shard[0] <= shard[1]
    ):
        raise InvalidArgumentError("shard must be (i, n) with 1 <= i <= n")
    interval = options.checkpoint_interval
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
        raise InvalidArgumentError("checkpoint_interval must be a number of seconds >= 0")


@attrs.frozen(kw_only=True)
class ExportOptions:
    """What :func:`~aiomongoose.export.export_archives` exports, and how.

    * ``with_``: only the conversation with this JID (adds a ``with`` field to each line).
    * ``before``: only messages at or before this instant (Unix seconds or an aware datetime).
    * ``page_size``: the ``limit`` of each request (``None``: the server's default page).
    * ``concurrency``: how many owners are exported at the same time (default 4).
    * ``format``: ``"jsonl"`` (default) or ``"csv"``.
    * ``chronological``: write each owner oldest first instead of newest first. Each owner
      is spooled to an unlinked temporary file in ``spool_dir`` (default: the output's
      directory, which has room for the output anyway, unlike a RAM-backed ``/tmp``; the
      system's temporary directory for a stream).
    * ``on_stall``: ``"raise"`` fails an owner whose archive cannot be paged past a burst
      (:class:`~aiomongoose.errors.PaginationError`); ``"skip"`` continues below it.
    * ``resume``: continue the export that ``<output>.checkpoint.json`` describes.
    * ``timeout``: seconds (or a ClientTimeout) for each request; ``None``: the client's.
    * ``checkpoint_interval``: at most this many seconds between two checkpoints (each one
      costs two fsyncs; 0: after every batch of pages).
    * ``shard``: ``(i, n)`` exports only the archives in shard ``i`` of ``n`` (1-based; see
      :func:`~aiomongoose.export.shard_of`), so that ``n`` processes split the work
      without talking to each other. Give each its own output.

    Invalid values raise :class:`~aiomongoose.errors.InvalidArgumentError` (or
    :class:`~aiomongoose.errors.InvalidJIDError` for ``with_``).
    """

    with_: str | None = None
    before: int | None = attrs.field(default=None, converter=_before)
    page_size: int | None = None
    concurrency: int = 4
    format: Format = "jsonl"
    chronological: bool = False
    on_stall: OnStall = "raise"
    resume: bool = False
    timeout: float | aiohttp.ClientTimeout | None = None
    spool_dir: str | None = None
    checkpoint_interval: float = 0.2
    shard: tuple[int, int] | None = attrs.field(default=None, converter=_shard)

    def __attrs_post_init__(self) -> None:
        _check(self)

    def settings(self) -> dict[str, Any]:
        """The settings that shape the output; a resumed export must use the same ones."""
        settings: dict[str, Any] = {
            "format": self.format,
            "with": self.with_,
            "before": self.before,
            "chronological": self.chronological,
        }
        if self.shard is not None:  # absent otherwise: older checkpoints still fit
            settings["shard"] = list(self.shard)
        return settings


@attrs.frozen
class OwnerFailure:
    """An archive whose export stopped with ``error``; its lines so far stay in the output.

    ``owner`` is the JID of the archive: a user's, or a room's when ``kind`` is
    ``"muc_light"`` or ``"muc"``.
    """

    owner: str
    error: Exception
    kind: str = "user"

    @property
    def message(self) -> str:
        """A one-line description: the error's class and text."""
        return f"{type(self.error).__name__}: {self.error}"


@attrs.define
class ExportProgress:
    """Live counters of a running export, updated in place by the exporter.

    Read them from the event loop (a progress display polls them). ``messages`` counts the
    messages fetched and encoded, ``written`` the lines written to the output (in
    chronological mode an owner's lines are written at once when its history is complete).
    ``owners_done`` includes the owners a resumed export found already finished. The
    ``owners_*`` counters count every archive, rooms included; ``rooms_total`` says how
    many of ``owners_total`` are rooms.
    """

    owners_total: int = 0
    rooms_total: int = 0
    owners_done: int = 0
    owners_skipped: int = 0
    messages: int = 0
    written: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    stalls: int = 0
    failures: list[OwnerFailure] = attrs.Factory(list)
    started: float = attrs.Factory(time.monotonic)

    @property
    def owners_failed(self) -> int:
        """How many owners failed so far."""
        return len(self.failures)

    def elapsed(self) -> float:
        """Seconds since the export started."""
        return time.monotonic() - self.started


@attrs.frozen(kw_only=True)
class ExportSummary:
    """What an export did. ``ok`` is true when no owner failed.

    ``messages``, ``pages``, ``requests`` and ``stalls`` count this run only (a resumed
    export does not count what the interrupted one wrote); ``owners_skipped`` are the owners
    a resumed export found finished; ``retries`` is how many requests the client retried
    during the export (:attr:`AdminClient.retries <aiomongoose.AdminClient.retries>`);
    ``length`` is the output's size in bytes (``None`` for a stream). ``owners`` counts
    every archive, ``rooms`` how many of them are rooms.
    """

    owners: int
    owners_done: int
    owners_skipped: int
    failures: tuple[OwnerFailure, ...]
    messages: int
    pages: int
    requests: int
    retries: int
    stalls: int
    elapsed: float
    length: int | None
    rooms: int = 0

    @property
    def ok(self) -> bool:
        """True when every owner was exported completely."""
        return not self.failures

    @property
    def rate(self) -> float:
        """Messages per second over the whole run."""
        return self.messages / self.elapsed if self.elapsed > 0 else 0.0

    @classmethod
    def from_progress(cls, progress: ExportProgress, length: int | None) -> ExportSummary:
        """Freeze the counters of ``progress``."""
        return cls(
            owners=progress.owners_total,
            owners_done=progress.owners_done,
            owners_skipped=progress.owners_skipped,
            failures=tuple(progress.failures),
            messages=progress.written,
            pages=progress.pages,
            requests=progress.requests,
            retries=progress.retries,
            stalls=progress.stalls,
            elapsed=progress.elapsed(),
            length=length,
            rooms=progress.rooms_total,
        )
