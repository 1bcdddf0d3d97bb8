"""Users endpoint, generator, package exports, the pytest fixture and the standalone command."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import aiohttp
import pytest
from fake_wire import ALICE, BOB, CAROL, Wire

import aiomongoose.testing
from aiomongoose.testing import FakeMongooseIM, generate_archive, generate_rooms

US = 1_000_000


async def test_users_of_a_domain(server, wire: Wire):
    server.add_user("Dinah@Wonderland.lit/cat")
    server.add_domain("empty.lit")
    answer = await wire.get("/users/wonderland.lit")
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == [ALICE, BOB, CAROL, "dinah@wonderland.lit"]
    assert (await wire.get("/users/empty.lit")).json() == []
    assert server.users_of("wonderland.lit") == [ALICE, BOB, CAROL, "dinah@wonderland.lit"]


async def test_users_of_an_unknown_domain_are_character_codes(server, wire: Wire):
    answer = await wire.get("/users/nowhere.lit")
    assert answer.status == 200
    assert answer.json() == [ord(ch) for ch in "Domain does not exist"]


async def test_mongooseim_fixture(mongooseim, wire: Wire):
    assert isinstance(mongooseim, FakeMongooseIM)
    assert mongooseim.url.startswith("http://127.0.0.1:")
    assert mongooseim.url.endswith("/api")
    assert mongooseim.port > 0
    mongooseim.add_user(ALICE)
    assert (await wire.to(mongooseim).get("/users/wonderland.lit")).json() == [ALICE]


def test_exports():
    assert sorted(aiomongoose.testing.__all__) == [
        "FakeMongooseIM",
        "RecordedRequest",
        "StoredMessage",
        "generate_archive",
        "generate_rooms",
    ]
    for name in aiomongoose.testing.__all__:
        assert getattr(aiomongoose.testing, name).__name__ == name
    assert set(aiomongoose.testing.__all__) <= set(dir(aiomongoose.testing))


def test_generate_rooms_is_reproducible_with_bursts_in_one_microsecond():
    def build(seed):
        fake = FakeMongooseIM(archived_rooms="muc_light")
        users = generate_archive(fake, users=8, messages=10, seed=seed, end_us=1_800_000_000 * US)
        rooms = generate_rooms(
            fake, users, rooms=9, messages=3000, seed=seed, end_us=1_800_000_000 * US
        )
        return fake, users, rooms

    fake, users, rooms = build(5)
    assert len(rooms) == len(set(rooms)) == 9 and all(
        "@muclight.wonderland.lit" in r for r in rooms
    )
    archives = {room: fake.room_archive_of(room) for room in rooms}
    assert sum(map(len, archives.values())) == 3000
    times = [m.time_us for archive in archives.values() for m in archive]
    assert max(times) == 1_800_000_000 * US - US
    assert len(times) - len(set(times)) > 100  # many share a microsecond
    for room, archive in archives.items():
        assert all(m.sender.startswith(f"{room}/") for m in archive)
        assert {m.sender.partition("/")[2] for m in archive} <= set(users)
        assert [m.time_us for m in archive] == sorted(m.time_us for m in archive)
    again, _, _ = build(5)
    assert [(m.sender, m.time_us, m.body) for m in again.room_archive_of(rooms[0])] == [
        (m.sender, m.time_us, m.body) for m in archives[rooms[0]]
    ]


def test_url_before_start():
    with pytest.raises(RuntimeError, match="not started"):
        _ = FakeMongooseIM().url


def test_generate_archive_is_realistic_and_reproducible():
    fake = FakeMongooseIM()
    users = generate_archive(fake, users=20, messages=100_000, seed=3, end_us=1_800_000_000 * US)
    assert len(users) == 20 and len(set(users)) == 20
    everything = {id(m): m for jid in users for m in fake.archive_of(jid)}.values()
    local = [m for m in everything if not m.sender.startswith(("hatter", "cheshire", "queen"))]
    assert 99_000 < len(everything) <= 100_000  # messages between two external JIDs: none
    assert max(m.time_us for m in everything) == 1_800_000_000 * US - US
    assert any(m.body is None for m in everything)
    assert any(m.message_id == "" for m in everything)
    assert any("/" in m.sender for m in local)
    for jid in users[:3]:
        archive = fake.archive_of(jid)
        times = [m.time_us for m in archive]
        assert times == sorted(times)
        seconds = [m.timestamp for m in archive]
        assert len(seconds) > len(set(seconds))  # same-second bursts
        # no 1.5 s window holds more than 6 messages
        assert all(times[i + 6] - times[i] > 1_500_000 for i in range(len(times) - 6))
    again = FakeMongooseIM()
    generate_archive(again, users=20, messages=2_000, seed=3, end_us=1_800_000_000 * US)
    other = FakeMongooseIM()
    generate_archive(other, users=20, messages=2_000, seed=3, end_us=1_800_000_000 * US)
    assert again.archive_of(users[0])[-50:] == other.archive_of(users[0])[-50:]


async def _run(
    *argv: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=cwd,
        env=env,
    )
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_standalone_command(signum):
    proc = await _run(
        "-m",
        "aiomongoose.testing",
        "--port",
        "0",
        "--users",
        "3",
        "--messages",
        "300",
        "--seed",
        "1",
        "--auth",
        "admin:secret",
    )
    assert proc.stdout is not None
    try:
        url = (await asyncio.wait_for(proc.stdout.readline(), timeout=20)).decode().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        listing = [
            (await asyncio.wait_for(proc.stdout.readline(), timeout=10)).decode() for _ in range(3)
        ]
        assert "alice@wonderland.lit" in listing[0]
        headers = {"Authorization": "Basic YWRtaW46c2VjcmV0"}  # admin:secret
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{url}/users/wonderland.lit", headers=headers) as resp:
                assert await resp.json() == [ALICE, BOB, CAROL]
            async with session.get(f"{url}/messages/{ALICE}?limit=10", headers=headers) as resp:
                assert resp.status == 200
                assert len(await resp.json()) == 10
            async with session.get(f"{url}/users/wonderland.lit") as resp:
                assert resp.status == 401
    finally:
        if proc.returncode is None:
            proc.send_signal(signum)
        await asyncio.wait_for(proc.communicate(), timeout=10)
    assert proc.returncode == 0


_PLUGIN_TEST = """
    import pytest

    @pytest.mark.asyncio
    async def test_uses_fixture(mongooseim):
        mongooseim.add_user("alice@wonderland.lit")
        assert mongooseim.url.startswith("http://127.0.0.1:")

    def test_plain():
        assert True
"""


async def _pytest(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    (tmp_path / "test_plugin_use.py").write_text(textwrap.dedent(_PLUGIN_TEST))
    proc = await _run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plugin_use.py", *args,
        cwd=tmp_path, env=env,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    return output.decode()


async def test_plugin_in_strict_mode(tmp_path):
    output = await _pytest(tmp_path, "-o", "asyncio_mode=strict")
    assert "2 passed" in output, output


async def test_plugin_without_pytest_asyncio(tmp_path):
    hidden = tmp_path / "hide"
    (hidden / "pytest_asyncio").mkdir(parents=True)
    (hidden / "pytest_asyncio" / "__init__.py").write_text("raise ImportError('hidden')\n")
    env = {**os.environ, "PYTHONPATH": str(hidden)}
    output = await _pytest(
        tmp_path, "-p", "no:asyncio", "-W", "ignore::pytest.PytestUnknownMarkWarning", env=env
    )
    assert "1 passed" in output, output
    assert "needs pytest-asyncio" in output, output
