"""The ``export`` command end to end against FakeMongooseIM.

``main()`` runs its own event loop, so the in-process tests call it in a thread while the
fake server serves from the test's loop; one test runs ``python -m aiomongoose``.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path

import pytest

from aiomongoose import AdminClient
from aiomongoose.cli import main
from aiomongoose.export import ExportOptions, checkpoint_path, export_archives
from aiomongoose.testing import FakeMongooseIM

pytestmark = pytest.mark.timeout(30)

ALICE, BOB, CAROL = "alice@wonderland.lit", "bob@wonderland.lit", "carol@wonderland.lit"
T0 = 1_700_000_000_000_000
S0 = 1_700_000_000


def seed(fake: FakeMongooseIM) -> None:
    for jid in (ALICE, BOB, CAROL):
        fake.add_user(jid)
    fake.add_message(ALICE, BOB, at_us=T0, body="one", message_id="m1")
    fake.add_message(BOB, ALICE, at_us=T0 + 2_000_000, body=None, message_id="m2")
    fake.add_message(CAROL, BOB, at_us=T0 + 4_000_000, body="three", message_id="m3")


@pytest.fixture
async def server():
    async with FakeMongooseIM(max_result_limit=2) as fake:
        seed(fake)
        yield fake


async def cli(*argv: str) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    status = await asyncio.wait_for(
        asyncio.to_thread(main, list(argv), stdout=out, stderr=err), timeout=20
    )
    return status, out.getvalue(), err.getvalue()


def line(owner: str, sender: str, second: int, mid: str, body: str) -> str:
    return (
        f'{{"owner":"{owner}","sender":"{sender}","timestamp":{S0 + second},'
        f'"message_id":"{mid}","body":{body}}}'
    )


async def test_domain_to_file(server, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    status, stdout, err = await cli(
        "export", "--domain", "wonderland.lit", "--url", server.url, "-o", str(out),
        "--concurrency", "1",
    )  # fmt: skip
    assert status == 0
    assert stdout == b""
    assert out.read_text().splitlines() == [
        line(ALICE, BOB, 2, "m2", "null"),
        line(ALICE, ALICE, 0, "m1", '"one"'),
        line(BOB, CAROL, 4, "m3", '"three"'),
        line(BOB, BOB, 2, "m2", "null"),
        line(BOB, ALICE, 0, "m1", '"one"'),
        line(CAROL, CAROL, 4, "m3", '"three"'),
    ]
    assert "owners:   3 (3 exported, 0 already done, 0 failed)\nmessages: 6\n" in err
    assert f"output:   {out} ({out.stat().st_size:,} bytes)" in err
    assert [r.segments for r in server.requests][0] == ("api", "users", "wonderland.lit")


async def test_csv_to_stdout_with_filter_and_before(server) -> None:
    status, stdout, err = await cli(
        "export", BOB, "--with", ALICE, "--before", "2023-11-14T22:13:21Z", "--format", "csv",
        "--url", server.url, "--quiet",
    )  # fmt: skip
    assert (status, err) == (0, "")
    assert stdout.decode() == (
        f"owner,with,sender,timestamp,message_id,body\r\n{BOB},{ALICE},{ALICE},{S0},m1,one\r\n"
    )
    # 22:13:21Z, and the default page size of 50
    assert server.requests[0].query == {"before": str(S0 + 1), "limit": "50"}


async def test_chronological(server, tmp_path: Path) -> None:
    out = tmp_path / "bob.jsonl"
    status, _, _ = await cli("export", BOB, "--url", server.url, "--chronological", "-o", str(out))
    assert status == 0
    assert out.read_text().splitlines() == [
        line(BOB, ALICE, 0, "m1", '"one"'),
        line(BOB, BOB, 2, "m2", "null"),
        line(BOB, CAROL, 4, "m3", '"three"'),
    ]


async def test_failing_owner_gives_exit_1_and_resume_retries_it(server, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    server.fail_next(1, status=500)  # the first request: alice's first page (500: no retry)
    status, _, err = await cli(
        "export", ALICE, CAROL, "--url", server.url, "-o", str(out), "--concurrency", "1",
        "--quiet",
    )  # fmt: skip
    assert status == 1
    assert err.splitlines() == [
        f"aiomongoose: {ALICE}: failed: ServerError: 500 (empty body) from GET "
        f"{server.url}/messages/alice%40wonderland.lit",
        "aiomongoose: error: 1 of 2 owners failed",
        "rerun with --resume to retry them (the others are not exported again)",
    ]
    assert out.read_text().splitlines() == [line(CAROL, CAROL, 4, "m3", '"three"')]
    assert checkpoint_path(out).exists()
    server.requests.clear()
    status, _, err = await cli(
        "export", ALICE, CAROL, "--url", server.url, "-o", str(out), "--resume"
    )
    assert status == 0
    assert "owners:   2 (1 exported, 1 already done, 0 failed)" in err
    assert {r.segments[-1] for r in server.requests} == {ALICE}
    assert out.read_text().splitlines() == [
        line(CAROL, CAROL, 4, "m3", '"three"'),
        line(ALICE, BOB, 2, "m2", "null"),
        line(ALICE, ALICE, 0, "m1", '"one"'),
    ]
    assert not checkpoint_path(out).exists()


async def test_unknown_user_and_unknown_domain(server, tmp_path: Path) -> None:
    status, stdout, err = await cli("export", "nobody@wonderland.lit", BOB, "--url", server.url)
    assert status == 1
    assert len(stdout.decode().splitlines()) == 3  # bob's lines still written
    assert "nobody@wonderland.lit: failed: BadRequestError: 400 'User does not exist'" in err
    status, _, err = await cli("export", "--domain", "nowhere.lit", "--url", server.url)
    assert status == 1
    assert err == (
        "aiomongoose: error: cannot list the users of nowhere.lit: BadRequestError: "
        f"200 'Domain does not exist' from GET {server.url}/users/nowhere.lit\n"
    )


async def test_credentials_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    async with FakeMongooseIM(auth=("admin", "s3cret")) as server:
        seed(server)
        monkeypatch.setenv("EXPORT_PW", "wrong")
        argv = ["export", ALICE, BOB, "--url", server.url, "--user", "admin", "--quiet"]
        status, _, err = await cli(*argv, "--password-env", "EXPORT_PW")
        assert status == 1  # wrong credentials: every owner fails with 401
        assert err.count("failed: UnauthorizedError: 401") == 2
        monkeypatch.setenv("EXPORT_PW", "s3cret")
        status, stdout, err = await cli(*argv, "--password-env", "EXPORT_PW")
        assert (status, err) == (0, "")
        assert len(stdout.splitlines()) == 5  # alice 2, bob 3
        assert "s3cret" not in " ".join(r.path for r in server.requests)


async def test_host_header_is_sent(tmp_path: Path) -> None:
    async with FakeMongooseIM(host="localhost") as server:
        seed(server)
        status, _, err = await cli("export", CAROL, "--url", server.url, "--quiet")
        assert status == 1 and "400 (empty body)" in err
        status, stdout, _ = await cli(
            "export", CAROL, "--url", server.url, "--host-header", "localhost", "--quiet"
        )
        assert status == 0 and len(stdout.splitlines()) == 1


async def test_url_from_environment_and_resume_mismatch(server, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MONGOOSEIM_URL", server.url)
    out = tmp_path / "out.jsonl"
    server.fail_next(1, status=500)
    status, _, _ = await cli("export", ALICE, "-o", str(out), "--quiet")
    assert status == 1
    status, _, err = await cli("export", ALICE, "-o", str(out), "--resume", "--format", "csv")
    assert status == 2
    assert err.startswith("aiomongoose: error: cannot resume: the checkpoint was written with")


async def test_python_dash_m_subprocess(server) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiomongoose", "export", CAROL, "--url", server.url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0
    assert [json.loads(x)["message_id"] for x in out.splitlines()] == ["m3"]
    assert b"owners:   1 (1 exported" in err


async def test_domain_resume_keeps_the_checkpointed_users(server, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    argv = ["export", "--domain", "wonderland.lit", "--url", server.url, "-o", str(out)]
    server.fail_next(1, status=500)  # the first request is GET /users/wonderland.lit
    status, _, err = await cli(*argv, "--quiet")
    assert status == 1 and "cannot list the users of wonderland.lit" in err
    assert not out.exists()
    server.add_user("dave@wonderland.lit")
    server.add_message("dave@wonderland.lit", ALICE, at_us=T0 + 9_000_000, message_id="m4")
    owners = server.users_of("wonderland.lit")
    async with AdminClient(server.url) as client:
        server.fail_next(1, status=500)  # alice's first page: alice fails
        first = await export_archives(client, owners, out, ExportOptions(concurrency=1))
    assert [f.owner for f in first.failures] == [ALICE]
    server.add_user("erin@wonderland.lit")  # joins after the checkpoint: not part of it
    server.requests.clear()
    status, _, err = await cli(*argv, "--resume")
    assert status == 0
    assert "owners:   4 (1 exported, 3 already done, 0 failed)" in err
    assert {r.segments[:3] for r in server.requests} == {("api", "messages", ALICE)}
    written = [json.loads(x)["owner"] for x in out.read_text().splitlines()]
    assert written == [BOB] * 3 + [CAROL] + ["dave@wonderland.lit"] + [ALICE] * 3
