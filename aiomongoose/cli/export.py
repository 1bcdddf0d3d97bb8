"""The ``export`` command once its arguments are parsed: sources, display, summary, exit code."""

from __future__ import annotations

import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import BinaryIO, Literal, TextIO

import attrs

from .._secrets import redact_url
from ..client import AdminClient, Auth
from ..errors import MongooseIMError, UnsupportedOperationError
from ..export import (
    CheckpointError,
    ExportOptions,
    ExportProgress,
    ExportSummary,
    OutputLockedError,
    Room,
    checkpoint_path,
    checkpointed_sources,
    export_archives,
)
from .progress import Mode, ProgressDisplay, format_summary

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "ExportJob", "run_export", "shard_output"]

EXIT_OK = 0
EXIT_FAILED = 1  # some owners failed (or the owners could not be listed)
EXIT_USAGE = 2


@attrs.frozen(kw_only=True)
class ExportJob:
    """Everything the command needs; ``output=None`` means stdout.

    Sources: ``owners`` or every user of ``domain``; ``rooms``; the MUC Light rooms of each
    user of ``rooms_of``; the rooms of the service ``muc_domain`` (MUC, as ``visible_to``
    sees them, or MUC Light when ``muc_kind="muc_light"``).
    """

    url: str = attrs.field(repr=redact_url)  # never a password in a repr
    owners: tuple[str, ...] = ()
    domain: str | None = None
    rooms: tuple[Room, ...] = ()
    rooms_of: tuple[str, ...] = ()
    muc_domain: str | None = None
    muc_kind: Literal["muc", "muc_light"] = "muc"
    visible_to: str | None = None
    output: str | None = None
    options: ExportOptions = attrs.Factory(ExportOptions)
    auth: Auth = attrs.field(default=None, repr=False)
    host_header: str | None = None
    quiet: bool = False
    api: Literal["rest", "graphql", "auto"] = "rest"


def _error(stderr: TextIO, text: str) -> None:
    stderr.write(f"aiomongoose: error: {text}\n")
    stderr.flush()


def _mode(job: ExportJob, stderr: TextIO) -> Mode:
    if job.quiet:
        return "quiet"
    return "bar" if stderr.isatty() else "log"


class _ListingError(Exception):
    """A source could not be listed: the text says which."""


def shard_output(path: str, shard: tuple[int, int]) -> str:
    """The output path of shard ``(i, n)``: ``.shard-i-of-n`` before the file's suffix
    (``all.jsonl`` -> ``all.shard-2-of-4.jsonl``), so that shards never share a file."""
    p = Path(path)
    index, count = shard
    return str(p.with_name(f"{p.stem}.shard-{index}-of-{count}{p.suffix}"))


async def _listed(what: str, listing: Awaitable[list[str]]) -> list[str]:
    try:
        return await listing
    except MongooseIMError as exc:
        raise _ListingError(f"cannot list {what}: {type(exc).__name__}: {exc}") from exc


async def _sources(job: ExportJob, client: AdminClient) -> tuple[list[str], list[Room]]:
    """The owners and the rooms to export. A resumed export whose sources are listings
    (``--domain``, ``--rooms-of``, ``--muc-domain``) takes the checkpoint's: the listings
    may have changed since, and the checkpoint must describe the same archives."""
    room_listing = bool(job.rooms_of) or job.muc_domain is not None
    if (job.domain is not None or room_listing) and job.output is not None and job.options.resume:
        saved = checkpointed_sources(job.output)
        if saved is not None:
            owners, rooms = saved
            if job.domain is not None:
                suffix = "@" + job.domain.lower()
                if not all(owner.lower().endswith(suffix) for owner in owners):
                    raise CheckpointError(
                        f"the checkpoint holds users of another domain than {job.domain}"
                    )
            else:
                owners = list(job.owners)
            if room_listing:
                rooms += [room for room in job.rooms if room not in rooms]
            else:
                rooms = list(job.rooms)
            return owners, rooms
    owners = list(job.owners)
    if job.domain is not None:
        owners = await _listed(f"the users of {job.domain}", client.users.list(job.domain))
    rooms = list(job.rooms)
    for user in job.rooms_of:
        jids = await _listed(f"the rooms of {user}", client.rooms.of_user(user))
        rooms += [Room(jid, "muc_light") for jid in jids]
    if job.muc_domain is not None:
        listing = client.rooms.list(job.muc_domain, visible_to=job.visible_to, kind=job.muc_kind)
        jids = await _listed(f"the rooms of {job.muc_domain}", listing)
        rooms += [Room(jid, job.muc_kind) for jid in jids]
    return owners, rooms


async def run_export(
    job: ExportJob,
    *,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
) -> tuple[int, ExportSummary | None]:
    """Run ``job``, showing progress and the summary on ``stderr``; return the exit status.

    0: every archive exported; 1: some archives failed or a source could not be listed
    (each error is printed); 2: the checkpoint does not fit this export.
    """
    out = stdout if stdout is not None else sys.stdout.buffer
    err = stderr if stderr is not None else sys.stderr
    max_connections = max(32, job.options.concurrency)
    async with AdminClient(
        job.url,
        auth=job.auth,
        host_header=job.host_header,
        max_connections=max_connections,
        api=job.api,
    ) as client:
        try:
            owners, rooms = await _sources(job, client)
        except CheckpointError as exc:
            _error(err, str(exc))
            return EXIT_USAGE, None
        except _ListingError as exc:
            _error(err, str(exc))
            return EXIT_FAILED, None
        progress = ExportProgress()
        target = job.output if job.output is not None else out
        try:
            async with ProgressDisplay(progress, err, _mode(job, err)):
                summary = await export_archives(
                    client,
                    owners,
                    target,
                    job.options,
                    rooms=rooms,
                    progress=progress,
                    # a JID the server lists but the client refuses fails alone (exit 1)
                    invalid_owners="fail" if job.domain is not None else "raise",
                )
        except UnsupportedOperationError as exc:
            _error(err, str(exc))
            return EXIT_FAILED, None
        except CheckpointError as exc:
            _error(err, f"cannot resume: {exc}")
            return EXIT_USAGE, None
        except OutputLockedError as exc:
            _error(err, str(exc))
            return EXIT_USAGE, None
        except OSError as exc:
            _error(err, f"cannot write the output: {exc}")
            return EXIT_FAILED, None
    if not job.quiet:
        err.write(format_summary(summary, job.output))
    if not summary.ok:
        noun = "archives" if summary.rooms else "owners"
        _error(err, f"{len(summary.failures)} of {summary.owners} {noun} failed")
        if job.output is not None and checkpoint_path(job.output).exists():
            err.write("rerun with --resume to retry them (the others are not exported again)\n")
    err.flush()
    return (EXIT_OK if summary.ok else EXIT_FAILED), summary
