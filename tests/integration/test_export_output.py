"""export_archives over real HTTP against FakeMongooseIM: the exact bytes it writes."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections import defaultdict
from collections.abc import Awaitable
from pathlib import Path

import pytest

from aiomongoose import AdminClient, BadRequestError, InvalidJIDError, PaginationError
from aiomongoose.export import (
    CheckpointError,
    ExportOptions,
    ExportProgress,
    checkpoint_path,
    export_archives,
)
from aiomongoose.testing import FakeMongooseIM

pytestmark = pytest.mark.timeout(30)

ALICE, BOB, CAROL = "alice@wonderland.lit", "bob@wonderland.lit", "carol@wonderland.lit"
T0 = 1_700_000_000_000_000  # microseconds
S0 = 1_700_000_000

# (sender, recipient, offset in microseconds, body, message_id); reported second = round half up
SEED = [
    (ALICE, BOB, 0, "hi bob", "m1"),
    (f"{BOB}/phone", ALICE, 1_200_000, "hi alice", "m2"),
    (ALICE, CAROL, 2_400_000, None, "m3"),
    (CAROL, ALICE, 2_600_000, 'é ☕ "quoted", comma', ""),
    (ALICE, ALICE, 5_000_000, "note", "m5"),
    (BOB, CAROL, 6_000_000, "b2c", "m6"),
    (ALICE, BOB, 7_400_000, "line1\nline2", "m7"),
    (ALICE, "hatter@tea.party", 9_000_000, "external", "m8"),
]


def jl(owner: str, sender: str, second: int, mid: str, body: str, with_: str = "") -> str:
    """One expected JSON line, written out by hand (body is already JSON: "null" or '"..."')."""
    w = f'"with":"{with_}",' if with_ else ""
    return (
        f'{{"owner":"{owner}",{w}"sender":"{sender}","timestamp":{S0 + second},'
        f'"message_id":"{mid}","body":{body}}}'
    )


ALICE_NEWEST_FIRST = [
    jl(ALICE, ALICE, 9, "m8", '"external"'),
    jl(ALICE, ALICE, 7, "m7", '"line1\\nline2"'),
    jl(ALICE, ALICE, 5, "m5", '"note"'),
    jl(ALICE, CAROL, 3, "", '"é ☕ \\"quoted\\", comma"'),
    jl(ALICE, ALICE, 2, "m3", "null"),
    jl(ALICE, f"{BOB}/phone", 1, "m2", '"hi alice"'),
    jl(ALICE, ALICE, 0, "m1", '"hi bob"'),
]
BOB_NEWEST_FIRST = [
    jl(BOB, ALICE, 7, "m7", '"line1\\nline2"'),
    jl(BOB, BOB, 6, "m6", '"b2c"'),
    jl(BOB, f"{BOB}/phone", 1, "m2", '"hi alice"'),
    jl(BOB, ALICE, 0, "m1", '"hi bob"'),
]
CAROL_NEWEST_FIRST = [
    jl(CAROL, BOB, 6, "m6", '"b2c"'),
    jl(CAROL, CAROL, 3, "", '"é ☕ \\"quoted\\", comma"'),
    jl(CAROL, ALICE, 2, "m3", "null"),
]


@pytest.fixture
async def server():
    # A page of 3 makes every owner take several requests.
    async with FakeMongooseIM(max_result_limit=3) as fake:
        for jid in (ALICE, BOB, CAROL):
            fake.add_user(jid)
        for sender, recipient, offset, body, mid in SEED:
            fake.add_message(sender, recipient, at_us=T0 + offset, body=body, message_id=mid)
        yield fake


@pytest.fixture(params=["rest", "graphql"])
async def client(server, request):
    """Every export test runs on both backends: the same archive, the same lines."""
    async with AdminClient(server.url, api=request.param) as c:
        yield c


def by_owner(lines: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        grouped[json.loads(line)["owner"]].append(line)
    return dict(grouped)


async def test_jsonl_newest_first_one_owner_at_a_time(client, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    summary = await export_archives(client, [ALICE, BOB, CAROL], out, ExportOptions(concurrency=1))
    expected = ALICE_NEWEST_FIRST + BOB_NEWEST_FIRST + CAROL_NEWEST_FIRST
    assert out.read_text("utf-8") == "".join(line + "\n" for line in expected)
    assert (summary.ok, summary.owners, summary.owners_done, summary.messages) == (
        True,
        3,
        3,
        14,
    )
    assert summary.length == out.stat().st_size
    assert summary.stalls == 0 and summary.retries == 0
    # 7 + 4 + 3 messages, 3 per page: 6 pages at least (REST re-reads overlaps: more)
    assert summary.requests >= summary.pages >= 6
    assert not checkpoint_path(out).exists()  # removed once everything is exported


async def test_parallel_owners_keep_their_own_order(client, server, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    progress = ExportProgress()
    summary = await export_archives(
        client, [ALICE, BOB, CAROL], out, ExportOptions(concurrency=3), progress=progress
    )
    lines = out.read_text("utf-8").splitlines()
    assert by_owner(lines) == {
        ALICE: ALICE_NEWEST_FIRST,
        BOB: BOB_NEWEST_FIRST,
        CAROL: CAROL_NEWEST_FIRST,
    }
    assert (progress.messages, progress.written, progress.owners_done) == (14, 14, 3)
    assert progress.requests == summary.requests == len(server.requests)


async def test_with_filter_adds_the_with_field(client, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    options = ExportOptions(with_=BOB, concurrency=1)
    await export_archives(client, [ALICE, CAROL], out, options)
    assert out.read_text("utf-8").splitlines() == [
        jl(ALICE, ALICE, 7, "m7", '"line1\\nline2"', BOB),
        jl(ALICE, f"{BOB}/phone", 1, "m2", '"hi alice"', BOB),
        jl(ALICE, ALICE, 0, "m1", '"hi bob"', BOB),
        jl(CAROL, BOB, 6, "m6", '"b2c"', BOB),
    ]


async def test_chronological_jsonl(client, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    options = ExportOptions(chronological=True, concurrency=2)
    summary = await export_archives(client, [ALICE, BOB], out, options)
    lines = out.read_text("utf-8").splitlines()
    # Chronological owners are written as contiguous blocks, each oldest first.
    alice, bob = ALICE_NEWEST_FIRST[::-1], BOB_NEWEST_FIRST[::-1]
    assert lines in (alice + bob, bob + alice)
    assert summary.messages == 11


async def test_before_bounds_the_export(client, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    await export_archives(client, [ALICE], out, ExportOptions(before=S0 + 3))
    assert out.read_text("utf-8").splitlines() == ALICE_NEWEST_FIRST[3:]


CSV_HEADER = "owner,sender,timestamp,message_id,body\r\n"


async def test_csv_newest_first(client, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    await export_archives(client, [ALICE], out, ExportOptions(format="csv"))
    assert out.read_bytes().decode("utf-8") == CSV_HEADER + (
        f"{ALICE},{ALICE},{S0 + 9},m8,external\r\n"
        f'{ALICE},{ALICE},{S0 + 7},m7,"line1\nline2"\r\n'
        f"{ALICE},{ALICE},{S0 + 5},m5,note\r\n"
        f'{ALICE},{CAROL},{S0 + 3},,"é ☕ ""quoted"", comma"\r\n'
        f"{ALICE},{ALICE},{S0 + 2},m3,\r\n"
        f"{ALICE},{BOB}/phone,{S0 + 1},m2,hi alice\r\n"
        f"{ALICE},{ALICE},{S0},m1,hi bob\r\n"
    )


async def test_csv_chronological_with_filter(client, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    options = ExportOptions(format="csv", chronological=True, with_=CAROL, concurrency=1)
    await export_archives(client, [ALICE, BOB], out, options)
    assert out.read_bytes().decode("utf-8") == (
        "owner,with,sender,timestamp,message_id,body\r\n"
        f"{ALICE},{CAROL},{ALICE},{S0 + 2},m3,\r\n"
        f'{ALICE},{CAROL},{CAROL},{S0 + 3},,"é ☕ ""quoted"", comma"\r\n'
        f"{BOB},{CAROL},{BOB},{S0 + 6},m6,b2c\r\n"
    )


async def test_owner_written_as_given_and_duplicates_once(client, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    given = "Carol@Wonderland.lit"
    summary = await export_archives(client, [given, given], out)
    lines = out.read_text("utf-8").splitlines()
    assert lines == [line.replace(CAROL, given, 1) for line in CAROL_NEWEST_FIRST]
    assert summary.owners == 1


async def test_stream_output(client) -> None:
    stream = io.BytesIO()
    summary = await export_archives(client, [CAROL], stream, ExportOptions(format="csv"))
    assert stream.getvalue().decode().splitlines()[0] == CSV_HEADER.strip()
    assert len(stream.getvalue().decode().splitlines()) == 4
    assert summary.length is None


async def test_failing_owner_does_not_stop_the_others(client, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    nobody = "nobody@wonderland.lit"
    summary = await export_archives(client, [nobody, CAROL, BOB], out)
    assert not summary.ok
    assert [f.owner for f in summary.failures] == [nobody]
    assert isinstance(summary.failures[0].error, BadRequestError)
    if client.api == "rest":
        expected = (
            "BadRequestError: 400 'User does not exist' from GET "
            f"{client.base_url}/messages/nobody%40wonderland.lit"
        )
    else:
        expected = (
            "BadRequestError: 200 [unknown_user] 'User does not exist' from POST "
            f"{client.base_url}/graphql"
        )
    assert summary.failures[0].message == expected
    assert by_owner(out.read_text("utf-8").splitlines()) == {
        CAROL: CAROL_NEWEST_FIRST,
        BOB: BOB_NEWEST_FIRST,
    }
    assert checkpoint_path(out).exists()  # kept so that --resume retries the failed owner
    assert summary.owners_done == 2


async def test_stall_fails_the_owner_unless_skipped(server, client, tmp_path: Path) -> None:
    burst = "mad@wonderland.lit"
    server.add_user(burst)
    # 5 messages within half a second, pages of 3: no second-granular `before` gets past.
    for i in range(5):
        at = T0 + 21_000_000 + i * 100_000
        server.add_message(burst, ALICE, at_us=at, message_id=f"b{i}")
    server.add_message(burst, ALICE, at_us=T0, message_id="old")
    out = tmp_path / "out.jsonl"
    summary = await export_archives(client, [burst, CAROL], out)
    if client.api == "graphql":
        # Microsecond times and unique stanza ids: GraphQL pages through the burst.
        assert summary.ok and summary.stalls == 0
        lines = by_owner(out.read_text().splitlines())
        assert [json.loads(line)["message_id"] for line in lines[burst]] == [
            "b4",
            "b3",
            "b2",
            "b1",
            "b0",
            "old",
        ]
        return
    assert [f.owner for f in summary.failures] == [burst]
    assert isinstance(summary.failures[0].error, PaginationError)
    assert summary.stalls == 1
    skipped = await export_archives(client, [burst], out, ExportOptions(on_stall="skip"))
    assert skipped.ok and skipped.stalls == 1
    ids = [json.loads(line)["message_id"] for line in out.read_text().splitlines()]
    assert ids == ["b4", "b3", "b2", "old"]  # the stalled window's rest is skipped


async def test_invalid_owner_raises_before_any_request(server, client, tmp_path: Path) -> None:
    with pytest.raises(InvalidJIDError):
        await export_archives(client, [ALICE, "not a jid@x"], tmp_path / "o.jsonl")
    assert server.requests == []


async def test_resume_with_other_settings_is_refused(client, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    await export_archives(client, ["nobody@wonderland.lit", ALICE], out)
    with pytest.raises(CheckpointError, match="other settings"):
        await export_archives(client, [ALICE], out, ExportOptions(format="csv", resume=True))
    with pytest.raises(CheckpointError, match="other owners"):
        await export_archives(client, [ALICE, BOB], out, ExportOptions(resume=True))


PROC_FDS = Path("/proc/self/fd")


def open_unlinked_files() -> set[str]:
    """The files this process holds open although they are unlinked, as Linux shows them
    (``/proc/self/fd``): ``"<directory>/<name> (deleted)"``, the name unique while open."""
    found = set()
    for fd in os.listdir(PROC_FDS):
        try:
            target = os.readlink(PROC_FDS / fd)
        except OSError:  # closed meanwhile (the listing's own descriptor, among others)
            continue
        if target.endswith(" (deleted)"):
            found.add(target)
    return found


async def spools_of(export: Awaitable[object]) -> list[Path]:
    """Run ``export`` and return the directory of each unlinked file it held open (its
    spools), watching every few milliseconds; none may still be open once it returned."""
    before = open_unlinked_files()
    task = asyncio.ensure_future(export)
    seen: set[str] = set()
    while not task.done():
        seen |= open_unlinked_files() - before
        await asyncio.sleep(0.005)
    await task
    assert open_unlinked_files() - before == set()  # every spool closed, not only unlinked
    return sorted(Path(target.removesuffix(" (deleted)")).parent for target in seen)


@pytest.mark.skipif(not PROC_FDS.is_dir(), reason="spools are watched through /proc/self/fd")
async def test_chronological_spools_beside_the_output(server, client, tmp_path: Path) -> None:
    # Each spool is an unlinked file, seen only through the descriptors the export holds:
    # slow answers keep every owner's spool open long enough to be watched.
    server.delay(0.05)
    out = tmp_path / "sub" / "out.jsonl"
    out.parent.mkdir()
    export = export_archives(client, [ALICE, BOB], out, ExportOptions(chronological=True))
    assert await spools_of(export) == [out.parent.resolve()] * 2  # one per owner
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.jsonl"]  # spools unlinked
    lines = out.read_text("utf-8").splitlines()
    assert by_owner(lines) == {ALICE: ALICE_NEWEST_FIRST[::-1], BOB: BOB_NEWEST_FIRST[::-1]}
    spools = tmp_path / "spools"
    spools.mkdir()
    options = ExportOptions(chronological=True, spool_dir=str(spools))
    stream = io.BytesIO()
    assert await spools_of(export_archives(client, [CAROL], stream, options)) == [spools.resolve()]
    assert list(spools.iterdir()) == []
    assert stream.getvalue().decode().splitlines() == CAROL_NEWEST_FIRST[::-1]
