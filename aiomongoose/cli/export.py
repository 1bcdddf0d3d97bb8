"""The ``export`` command once its arguments are parsed: owners, display, summary, exit code."""

from __future__ import annotations

import sys
from typing import BinaryIO, Literal, TextIO

import attrs

from .._secrets import redact_url
from ..client import AdminClient, Auth
from ..errors import MongooseIMError
from ..export import (
    CheckpointError,
    ExportOptions,
    ExportProgress,
    ExportSummary,
    OutputLockedError,
    checkpoint_path,
    checkpointed_owners,
    export_archives,
)
from .progress import Mode, ProgressDisplay, format_summary

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "ExportJob", "run_export"]

EXIT_OK = 0
EXIT_FAILED = 1  # some owners failed (or the owners could not be listed)
EXIT_USAGE = 2


@attrs.frozen(kw_only=True)
class ExportJob:
    """Everything the command needs; ``output=None`` means stdout."""

    url: str = attrs.field(repr=redact_url)  # never a password in a repr
    owners: tuple[str, ...] = ()
    domain: str | None = None
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


async def _owners(job: ExportJob, client: AdminClient) -> list[str]:
    if job.domain is None:
        return list(job.owners)
    if job.output is not None and job.options.resume:
        owners = checkpointed_owners(job.output)
        if owners is not None:
            # Resume the same users, even if the domain gained or lost some meanwhile.
            suffix = "@" + job.domain.lower()
            if not all(owner.lower().endswith(suffix) for owner in owners):
                raise CheckpointError(
                    f"the checkpoint holds users of another domain than {job.domain}"
                )
            return owners
    return await client.users.list(job.domain)


async def run_export(
    job: ExportJob,
    *,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
) -> tuple[int, ExportSummary | None]:
    """Run ``job``, showing progress and the summary on ``stderr``; return the exit status.

    0: every owner exported; 1: some owners failed or the domain's users could not be
    listed (each error is printed); 2: the checkpoint does not fit this export.
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
            owners = await _owners(job, client)
        except CheckpointError as exc:
            _error(err, str(exc))
            return EXIT_USAGE, None
        except MongooseIMError as exc:
            _error(err, f"cannot list the users of {job.domain}: {type(exc).__name__}: {exc}")
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
                    progress=progress,
                    # a JID the server lists but the client refuses fails alone (exit 1)
                    invalid_owners="fail" if job.domain is not None else "raise",
                )
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
        _error(err, f"{len(summary.failures)} of {summary.owners} owners failed")
        if job.output is not None and checkpoint_path(job.output).exists():
            err.write("rerun with --resume to retry them (the others are not exported again)\n")
    err.flush()
    return (EXIT_OK if summary.ok else EXIT_FAILED), summary
