"""Resuming: SIGKILL the export command at random points, resume, compare with a clean run.

The fake server runs in the test's event loop; the command runs as a real subprocess
(``python -m aiomongoose export``) so that it can be killed at any instant.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from aiomongoose import AdminClient
from aiomongoose.export import ExportOptions, checkpoint_path, export_archives
from aiomongoose.testing import FakeMongooseIM, generate_archive, generate_rooms

pytestmark = pytest.mark.timeout(60)

DOMAIN = "wonderland.lit"
RUN_TIMEOUT = 30.0


@pytest.fixture
async def server():
    async with FakeMongooseIM() as fake:
        generate_archive(fake, users=6, messages=4000, seed=7, domain=DOMAIN)
        yield fake


def export_argv(server: FakeMongooseIM, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "aiomongoose",
        "export",
        "--domain",
        DOMAIN,
        "--url",
        server.url,
        "--page-size",
        "20",
        "--quiet",
        "-o",
        str(out),
        *extra,
    ]


async def run_to_end(argv: list[str]) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def run_and_kill(argv: list[str], out: Path, rng: random.Random, full: int) -> str:
    """Start the command and SIGKILL it after a random delay or once the output holds a
    random number of bytes. Returns how it ended: "bytes", "delay" or "finished"."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    waiter = asyncio.ensure_future(proc.wait())
    loop = asyncio.get_running_loop()
    started = loop.time()
    by_bytes = rng.random() < 0.6
    threshold = rng.randrange(1, full)
    delay = rng.uniform(0.05, 1.2)
    try:
        while not waiter.done():
            size = out.stat().st_size if out.exists() else 0
            now = loop.time()
            if (by_bytes and size >= threshold) or (not by_bytes and now - started >= delay):
                proc.send_signal(signal.SIGKILL)
                await asyncio.wait_for(waiter, RUN_TIMEOUT)
                return "bytes" if by_bytes else "delay"
            assert now - started < RUN_TIMEOUT, "the export neither finished nor was killed"
            await asyncio.sleep(0.002)
        return "finished"
    finally:
        if not waiter.done():
            proc.kill()
            await waiter


def per_owner(lines: list[str]) -> dict[str, list[str]]:
    """The lines of each archive (an owner's or a room's), in their order."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        record = json.loads(line)
        grouped[record.get("room") or record["owner"]].append(line)
    return dict(grouped)


async def kill_and_resume(server, tmp_path: Path, seed: int, kills: int, *extra: str) -> None:
    reference = tmp_path / "reference.jsonl"
    status, err = await run_to_end(export_argv(server, reference, *extra))
    assert (status, err) == (0, "")
    expected = reference.read_text("utf-8").splitlines()
    archived = sum(len(server.archive_of(u)) for u in server.users_of(DOMAIN))
    assert len(expected) == archived > 7000

    out = tmp_path / "killed.jsonl"
    rng = random.Random(seed)
    outcomes = []
    for round_ in range(kills):
        resume = ("--resume",) if round_ else ()
        argv = export_argv(server, out, *extra, *resume)
        outcomes.append(await run_and_kill(argv, out, rng, reference.stat().st_size))
    killed_mid_output = outcomes.count("bytes")
    assert killed_mid_output >= 1, outcomes
    status, err = await run_to_end(export_argv(server, out, *extra, "--resume"))
    assert (status, err) == (0, "")

    lines = out.read_text("utf-8").splitlines()
    assert Counter(lines) == Counter(expected), f"outcomes {outcomes}"  # none lost, none twice
    assert per_owner(lines) == per_owner(expected)  # and each owner's order kept
    assert not checkpoint_path(out).exists()


async def test_sigkill_at_random_points_then_resume(server, tmp_path: Path) -> None:
    await kill_and_resume(server, tmp_path, 20240501, 5)


async def test_sigkill_chronological_then_resume(server, tmp_path: Path) -> None:
    await kill_and_resume(server, tmp_path, 99, 3, "--chronological")


async def test_sigkill_then_resume_over_graphql(server, tmp_path: Path) -> None:
    # The same property through the GraphQL backend: its cursors resume just as well.
    await kill_and_resume(server, tmp_path, 4242, 4, "--api", "graphql")


async def test_sigkill_then_resume_a_room_export(tmp_path: Path) -> None:
    # Room archives page by the microsecond through GraphQL, bursts within one microsecond
    # included: their cursors resume a killed export just as well, owners mixed in.
    async with FakeMongooseIM(archived_rooms="muc_light") as fake:
        users = generate_archive(fake, users=4, messages=600, seed=2, domain=DOMAIN)
        rooms = generate_rooms(fake, users, rooms=5, messages=3000, seed=2, domain=DOMAIN)
        sources = [arg for room in rooms for arg in ("--room", room)] + users[:2]

        def argv(out: Path, *more: str) -> list[str]:
            options = ["--url", fake.url, "--page-size", "20", "--quiet", "-o", str(out)]
            return [sys.executable, "-m", "aiomongoose", "export", *sources, *options, *more]

        reference = tmp_path / "reference.jsonl"
        assert await run_to_end(argv(reference)) == (0, "")
        expected = reference.read_text("utf-8").splitlines()
        owners_lines = sum(len(fake.archive_of(u)) for u in users[:2])
        assert len(expected) == 3000 + owners_lines
        out = tmp_path / "killed.jsonl"
        rng = random.Random(77)
        outcomes = []
        for round_ in range(3):
            more = ("--resume",) if round_ else ()
            outcomes.append(
                await run_and_kill(argv(out, *more), out, rng, reference.stat().st_size)
            )
        assert outcomes.count("bytes") >= 1, outcomes
        assert await run_to_end(argv(out, "--resume")) == (0, "")
    lines = out.read_text("utf-8").splitlines()
    assert Counter(lines) == Counter(expected), f"outcomes {outcomes}"
    assert per_owner(lines) == per_owner(expected)
    assert {json.loads(line).get("room") for line in lines} - {None} == set(rooms)
    assert not checkpoint_path(out).exists()


async def test_failed_owners_are_retried_by_resume(server, tmp_path: Path) -> None:
    owners = server.users_of(DOMAIN)
    async with AdminClient(server.url) as client:
        reference = tmp_path / "reference.jsonl"
        clean = await export_archives(client, owners, reference, ExportOptions(page_size=20))
        assert clean.ok
        # Every request has a 5% chance to fail: several owners fail part way through.
        server.faults(fail_rate=0.05, max_consecutive=1, seed=3, status=500)  # 500: no retry
        out = tmp_path / "out.jsonl"
        summary = await export_archives(client, owners, out, ExportOptions(page_size=20))
        assert len(summary.failures) >= 2
        runs = 1
        while not summary.ok:
            runs += 1
            assert runs < 20
            options = ExportOptions(page_size=20, resume=True)
            summary = await export_archives(client, owners, out, options)
            assert summary.owners_skipped >= len(owners) - len(summary.failures) - 6
    expected = reference.read_text("utf-8").splitlines()
    lines = out.read_text("utf-8").splitlines()
    assert Counter(lines) == Counter(expected)
    assert per_owner(lines) == per_owner(expected)
    assert not checkpoint_path(out).exists()


async def test_resume_after_completion_starts_afresh(server, tmp_path: Path) -> None:
    owners = server.users_of(DOMAIN)[:2]
    out = tmp_path / "out.jsonl"
    async with AdminClient(server.url) as client:
        first = await export_archives(client, owners, out)
        content = out.read_text("utf-8").splitlines()
        again = await export_archives(client, owners, out, ExportOptions(resume=True))
    # The checkpoint went away with the complete export: the rerun exports everything again.
    assert first.ok and again.ok and again.owners_skipped == 0
    assert again.messages == first.messages == len(content) > 2000
    lines = out.read_text("utf-8").splitlines()  # pages of the two owners may interleave
    assert per_owner(lines) == per_owner(content)


@pytest.mark.parametrize("chronological", [False, True])
async def test_every_commit_boundary_is_resumable(
    server, tmp_path: Path, monkeypatch, chronological: bool
) -> None:
    """What SIGKILL leaves just before and just after a commit (the bytes the OS has, so
    not what sits in Python's buffers) is resumable into exactly the clean export.

    A commit is the durability step the export guide (docs/guides/export.rst) describes:
    the output is fsynced, then the checkpoint that counts its length is replaced (and its
    directory fsynced). The states are taken at those fsyncs, as the OS has the files then:
    at the output's fsync (every byte written so far, the old checkpoint), at any shorter
    cut of it down to the old checkpoint's length (SIGKILL while Python's buffer was being
    flushed), and at the directory's fsync after the checkpoint moved.
    """
    owners = server.users_of(DOMAIN)[:4]
    out = tmp_path / "out.jsonl"
    cp = checkpoint_path(out)
    rng = random.Random(11)
    states: list[tuple[bytes, bytes]] = []
    taking = [False]  # a commit whose states are being taken (few: chronological)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if not cp.exists():
            return
        synced = os.fstat(fd)
        if out.exists() and os.path.samestat(synced, out.stat()):  # the output: before
            taking[0] = chronological or rng.random() < 0.1
            if taking[0]:
                data, checkpoint = out.read_bytes(), cp.read_bytes()
                durable = json.loads(checkpoint)["length"]
                assert durable <= len(data)
                states.append((data, checkpoint))
                states.append((data[: rng.randint(durable, len(data))], checkpoint))
        elif taking[0] and os.path.samestat(synced, os.stat(tmp_path)):  # its directory: after
            taking[0] = False
            states.append((out.read_bytes(), cp.read_bytes()))

    options = ExportOptions(page_size=20, checkpoint_interval=0, chronological=chronological)
    async with AdminClient(server.url) as client:
        monkeypatch.setattr(os, "fsync", fsync)
        assert (await export_archives(client, owners, out, options)).ok
        monkeypatch.undo()
        expected = out.read_text("utf-8").splitlines()
        assert len(states) >= 6 and not taking[0]  # every "before" got its "after"
        resumed = tmp_path / "resumed.jsonl"
        for data, checkpoint in states:
            resumed.write_bytes(data)
            checkpoint_path(resumed).write_bytes(checkpoint)
            again = ExportOptions(page_size=20, resume=True, chronological=chronological)
            assert (await export_archives(client, owners, resumed, again)).ok
            lines = resumed.read_text("utf-8").splitlines()
            assert Counter(lines) == Counter(expected)
            assert per_owner(lines) == per_owner(expected)
