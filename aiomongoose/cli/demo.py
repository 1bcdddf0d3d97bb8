"""``aiomongoose demo``: export a generated archive from the embedded fake server, and check it.

The fake server runs in this process with MongooseIM's default page cap (50), so the export
pages exactly as it would against a real 6.x server. Over GraphQL it also holds MUC Light
rooms (a tenth as many messages, bursts within one microsecond included), exported in the
same run. The check reads the output back and compares each archive's lines, in order,
with the server's archive newest first.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TextIO

import attrs

from ..export import Room
from .export import EXIT_FAILED, EXIT_OK, ExportJob, run_export

__all__ = ["Verification", "run_demo", "verify_export"]

DOMAIN = "wonderland.lit"


@attrs.frozen
class Verification:
    """The export compared with the archives: ``ok`` when nothing is lost, repeated or moved."""

    messages: int
    lost: int
    duplicated: int
    differing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the export equals the archives, owner by owner and in order."""
        return not (self.lost or self.duplicated or self.differing)


def _key(record: dict[str, object]) -> tuple[object, ...]:
    return (record["sender"], record["timestamp"], record["message_id"], record["body"])


def verify_export(path: Path, expected: dict[str, Sequence[tuple[object, ...]]]) -> Verification:
    """Compare a JSON Lines export with ``expected`` (per owner or room, newest first).

    Streams the file once; only for owners that differ does a second pass count the lost
    and duplicated lines (as multisets) to say how they differ.
    """
    position = dict.fromkeys(expected, 0)
    differ: set[str] = set()
    lines = 0
    with open(path, "rb") as f:
        for raw in f:
            record = json.loads(raw)
            owner = record["room"] if "room" in record else record["owner"]
            lines += 1
            archive, at = expected.get(owner), position.get(owner, 0)
            if archive is None or at >= len(archive) or archive[at] != _key(record):
                differ.add(owner)
            position[owner] = at + 1
    differ.update(o for o, archive in expected.items() if position[o] != len(archive))
    lost = duplicated = 0
    if differ:
        found: dict[str, dict[tuple[object, ...], int]] = {o: {} for o in differ}
        with open(path, "rb") as f:
            for raw in f:
                record = json.loads(raw)
                name = record["room"] if "room" in record else record["owner"]
                if name in found:
                    counts = found[name]
                    counts[_key(record)] = counts.get(_key(record), 0) + 1
        for owner, counts in found.items():
            for item in expected.get(owner, ()):
                if counts.get(item, 0) > 0:
                    counts[item] -= 1
                else:
                    lost += 1
            duplicated += sum(counts.values())
    return Verification(lines, lost, duplicated, tuple(sorted(differ)))


def _expected(
    server: object, owners: Sequence[str], rooms: Sequence[str]
) -> dict[str, Sequence[tuple[object, ...]]]:
    from ..testing import FakeMongooseIM

    assert isinstance(server, FakeMongooseIM)
    expected: dict[str, Sequence[tuple[object, ...]]] = {}
    archives = [(o, server.archive_of(o)) for o in owners]
    archives += [(r, server.room_archive_of(r)) for r in rooms]
    for name, archive in archives:
        expected[name] = [
            (m.sender, m.timestamp, m.message_id, None if m.body in (None, "undefined") else m.body)
            for m in reversed(archive)
        ]
    return expected


async def run_demo(
    *,
    messages: int = 100_000,
    users: int = 20,
    seed: int = 0,
    quiet: bool = False,
    keep: str | None = None,
    api: Literal["rest", "graphql"] = "rest",
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Generate, serve, export (``--domain``, and the rooms over GraphQL), verify; return the
    exit status (0 or 1)."""
    from ..testing import FakeMongooseIM, generate_archive, generate_rooms

    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if api == "graphql" and importlib.util.find_spec("graphql") is None:
        _fail(err, "--api graphql needs graphql-core: pip install 'aiomongoose[testing]'")
        return EXIT_FAILED
    started = time.monotonic()
    # MongooseIM's default max_result_limit: 50 per page. MAM archives MUC Light rooms.
    server = FakeMongooseIM(archived_rooms="muc_light")
    jids = generate_archive(server, users=users, messages=messages, seed=seed, domain=DOMAIN)
    archived = sum(len(server.archive_of(jid)) for jid in jids)
    rooms: list[str] = []
    if api == "graphql":  # REST cannot read room archives
        room_messages = max(1, messages // 10)
        rooms = generate_rooms(
            server, jids, rooms=max(2, users // 4), messages=room_messages, seed=seed, domain=DOMAIN
        )
        archived += room_messages
    if not quiet:
        err.write(
            f"demo: generated {messages:,} messages between {users} users of {DOMAIN} "
            f"({archived - (room_messages if rooms else 0):,} archive entries: a message is "
            f"in its sender's and its recipient's archive)"
            + (f" and {room_messages:,} in {len(rooms)} MUC Light rooms" if rooms else "")
            + f" in {_secs(started)}\n"
        )
    with tempfile.TemporaryDirectory(prefix="aiomongoose-demo-") as tmp:
        path = Path(keep) if keep is not None else Path(tmp) / "export.jsonl"
        async with server:
            if not quiet:
                err.write(
                    f"demo: serving the fake MongooseIM at {server.url}; exporting to {path}\n"
                )
            job = ExportJob(
                url=server.url,
                domain=DOMAIN,
                output=os.fspath(path),
                quiet=quiet,
                api=api,
                rooms=tuple(Room(room) for room in rooms),
            )
            status, summary = await run_export(job, stderr=err)
            if summary is None or status != EXIT_OK:
                _fail(err, "the export did not complete")
                return EXIT_FAILED
            result = verify_export(path, _expected(server, jids, rooms))
    if not result.ok or result.messages != archived:
        _fail(
            err,
            f"verification FAILED: {result.messages:,} lines for {archived:,} archived messages, "
            f"{result.lost} lost, {result.duplicated} duplicated, "
            f"owners that differ: {', '.join(result.differing) or 'none'}",
        )
        return EXIT_FAILED
    out.write(
        f"verified: {result.messages} messages, {result.lost} lost, "
        f"{result.duplicated} duplicated (total {_secs(started)})\n"
    )
    out.flush()
    return EXIT_OK


def _secs(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"


def _fail(err: TextIO, text: str) -> None:
    err.write(f"aiomongoose demo: {text}\n")
    err.flush()
