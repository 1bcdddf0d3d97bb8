"""The export command against damaged checkpoints, outputs changed between runs and two
exports to one file, over real HTTP to the fake server (the command runs in a thread)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from aiomongoose.cli import main
from aiomongoose.export import checkpoint_path
from aiomongoose.export._checkpoint import (
    Checkpoint,
    OwnerState,
    remove_checkpoint,
    save_checkpoint,
)
from aiomongoose.testing import FakeMongooseIM

pytestmark = pytest.mark.timeout(60)

ALICE, BOB, CAROL = "alice@wonderland.lit", "bob@wonderland.lit", "carol@wonderland.lit"
T0 = 1_700_000_000_000_000
SETTINGS = {"format": "jsonl", "with": None, "before": None, "chronological": False, "api": "rest"}


@pytest.fixture
async def server():
    async with FakeMongooseIM(max_result_limit=5) as fake:
        for jid in (ALICE, BOB):
            fake.add_user(jid)
        for i in range(40):
            fake.add_message(ALICE, BOB, at_us=T0 + i * 2_000_000, body=f"message {i}")
        yield fake


async def cli(*argv: str) -> tuple[int, str]:
    out, err = io.BytesIO(), io.StringIO()
    status = await asyncio.wait_for(
        asyncio.to_thread(main, list(argv), stdout=out, stderr=err), timeout=30
    )
    return status, err.getvalue()


def export(server, out: Path, *extra: str) -> list[str]:
    return ["export", "--url", server.url, "--quiet", "-o", str(out), *extra]


@pytest.mark.parametrize("by", ["owners", "domain"])
async def test_a_deeply_nested_checkpoint_is_refused_cleanly(server, tmp_path, by):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"")
    checkpoint_path(out).write_bytes(b"[" * 100_000)
    who = [ALICE, BOB] if by == "owners" else ["--domain", "wonderland.lit"]
    status, err = await cli(*export(server, out, "--resume"), *who)
    assert status == 2, err
    assert "checkpoint is damaged" in err
    assert "Traceback" not in err and "RecursionError" not in err


@pytest.mark.parametrize(
    "cursor",
    [{"v": 1, "oldest": -5}, {"v": 99}, {"v": 2, "limit": 0}, [], {"api": "graphql", "v": 1}],
)
async def test_a_checkpoint_with_an_invalid_cursor_is_damaged(server, tmp_path, cursor):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"")
    owners = {
        ("user", ALICE): OwnerState(cursor, False, 0),  # type: ignore[arg-type]
        ("user", BOB): OwnerState(None, False, 0),
    }
    save_checkpoint(checkpoint_path(out), Checkpoint(settings=SETTINGS, owners=owners))
    status, err = await cli(*export(server, out, "--resume"), ALICE, BOB)
    assert status == 2, err
    assert "checkpoint is damaged" in err
    assert ALICE in err or not isinstance(cursor, dict)  # a bad cursor is named by owner
    assert "rerun with --resume" not in err
    assert server.requests == []


async def test_an_output_changed_in_place_is_refused_on_resume(server, tmp_path):
    out = tmp_path / "out.jsonl"
    # CAROL does not exist yet: her owner fails, so the checkpoint stays for --resume
    status, err = await cli(*export(server, out), ALICE, BOB, CAROL)
    assert status == 1, err
    kept = out.read_bytes()
    assert b"message 7" in kept and checkpoint_path(out).exists()
    out.write_bytes(kept.replace(b"message 7", b"massage 7"))  # same length
    server.add_user(CAROL)
    status, err = await cli(*export(server, out, "--resume"), ALICE, BOB, CAROL)
    assert status == 2, err
    assert "was changed since its checkpoint" in err
    # put back as it was, the output resumes
    out.write_bytes(kept)
    status, err = await cli(*export(server, out, "--resume"), ALICE, BOB, CAROL)
    assert status == 0, err
    assert not checkpoint_path(out).exists()
    assert [json.loads(line) for line in out.read_bytes().splitlines()]  # valid JSON Lines


async def test_two_exports_to_one_output_the_second_is_refused(server, tmp_path):
    out = tmp_path / "out.jsonl"
    server.delay(0.1)  # 9 pages of 5: the first export takes about a second
    first = asyncio.ensure_future(cli(*export(server, out, "--page-size", "5"), ALICE))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if server.requests:
            break
    status, err = await cli(*export(server, out, "--page-size", "5"), ALICE)
    assert status == 2, err
    assert "another export is writing" in err
    assert await first == (0, "")
    lines = out.read_bytes().splitlines()
    assert len(lines) == 40
    assert all(json.loads(line)["owner"] == ALICE for line in lines)


def test_the_checkpoints_temporary_file_has_a_unique_name(tmp_path):
    path = checkpoint_path(tmp_path / "out.jsonl")
    (tmp_path / "out.jsonl.checkpoint.json.tmp").mkdir()  # a fixed name would collide
    checkpoint = Checkpoint(settings=SETTINGS, owners={("user", ALICE): OwnerState()})
    save_checkpoint(path, checkpoint)
    assert Checkpoint.from_bytes(path.read_bytes()) == checkpoint
    (tmp_path / "out.jsonl.checkpoint.json.1234abcd.tmp").write_bytes(b"left by a kill -9")
    remove_checkpoint(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl.checkpoint.json.tmp"]


async def test_a_listed_user_that_the_client_refuses_fails_alone(server, tmp_path):
    """users.list answers a JID our validation refuses: that owner fails (exit 1), the
    others are exported, and nothing is left to resume."""
    import aiohttp
    from aiohttp import web
    from tiny_server import tiny_app

    bad = "bad\x01one@wonderland.lit"  # a control character: the client refuses it

    async def proxy(request):
        # A proxy in front of the fake whose user list holds a JID the client refuses.
        if request.path == "/api/users/wonderland.lit":
            return web.json_response([ALICE, bad, BOB])
        target = server.url.removesuffix("/api") + request.raw_path
        async with aiohttp.ClientSession() as session, session.get(target) as resp:
            return web.Response(
                status=resp.status, body=await resp.read(), content_type=resp.content_type
            )

    out = tmp_path / "out.jsonl"
    async with tiny_app(proxy) as url:
        status, err = await cli(
            "export", "--url", url, "--quiet", "-o", str(out), "--domain", "wonderland.lit"
        )
    assert status == 1, err
    assert "bad\\x01one@wonderland.lit" in err  # shown escaped, not as a raw control code
    assert "\x01" not in err
    assert "InvalidJIDError" in err and "Traceback" not in err
    assert "1 of 3 owners failed" in err
    assert "--resume" not in err  # retrying cannot help: the checkpoint is gone
    assert not checkpoint_path(out).exists()
    lines = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert {line["owner"] for line in lines} == {ALICE, BOB}
    assert len(lines) == 80  # 40 messages, in both archives
