"""Exporting room archives (with or without one-to-one archives), and shards, end to end
against the fake server."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from aiomongoose import AdminClient, UnsupportedOperationError
from aiomongoose.cli import main
from aiomongoose.export import (
    ExportOptions,
    Room,
    checkpoint_path,
    export_archives,
    shard_of,
)
from aiomongoose.testing import FakeMongooseIM

pytestmark = pytest.mark.timeout(60)

ALICE, BOB, CAROL = "alice@wonderland.lit", "bob@wonderland.lit", "carol@wonderland.lit"
LIGHT = [f"{name}@muclight.wonderland.lit" for name in ("party", "garden", "court")]
MUC = "tea@conference.wonderland.lit"
T0 = 1_700_000_000_000_000


@pytest.fixture
async def server():
    async with FakeMongooseIM(archived_rooms="muc_light") as fake:
        for user in (ALICE, BOB, CAROL):
            fake.add_user(user)
        fake.add_message(ALICE, BOB, at_us=T0, body="one-to-one", message_id="p1")
        for n, room in enumerate(LIGHT):
            fake.add_room(room, members=[ALICE, BOB] if n < 2 else [CAROL])
            for i in range(40 + 30 * n):  # bursts of three within one microsecond
                author = (ALICE, BOB, CAROL)[(i + n) % 3]
                fake.add_room_message(room, author, at_us=T0 + n * 10**6 + i // 3, body=f"{n}-{i}")
        fake.add_room(MUC, kind="muc")
        yield fake


async def cli(*argv: str) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    status = await asyncio.wait_for(
        asyncio.to_thread(main, list(argv), stdout=out, stderr=err), timeout=30
    )
    return status, out.getvalue(), err.getvalue()


def expected_lines(server: FakeMongooseIM, room: str) -> list[dict]:
    return [
        {
            "room": room,
            "sender": m.sender,
            "timestamp": m.timestamp,
            "message_id": m.message_id,
            "body": m.body,
        }
        for m in reversed(server.room_archive_of(room))
    ]


def by_archive(lines: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        record = json.loads(line)
        grouped[record.get("room") or record["owner"]].append(line)
    return dict(grouped)


async def test_room_export_lines_carry_room(server, tmp_path: Path):
    out = tmp_path / "rooms.jsonl"
    status, _, err = await cli(
        "export",
        "--room",
        LIGHT[0],
        "--room",
        LIGHT[1],
        "--url",
        server.url,
        "-o",
        str(out),
        "--concurrency",
        "1",
        "--page-size",
        "7",
    )
    assert status == 0, err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines == expected_lines(server, LIGHT[0]) + expected_lines(server, LIGHT[1])
    assert "archives: 2 (0 owners, 2 rooms; 2 exported, 0 already done, 0 failed)" in err
    assert all(r.path == "/api/graphql" for r in server.requests)  # rooms imply GraphQL


async def test_rooms_and_owners_combined_in_csv_oldest_first(server):
    status, stdout, err = await cli(
        "export",
        ALICE,
        "--rooms-of",
        CAROL,
        "--url",
        server.url,
        "--format",
        "csv",
        "--chronological",
        "--concurrency",
        "1",
        "--quiet",
    )
    assert (status, err) == (0, "")
    rows = stdout.decode().splitlines()
    assert rows[0] == "owner,room,sender,timestamp,message_id,body"
    assert rows[1] == f"{ALICE},,{ALICE},{T0 // 10**6},p1,one-to-one"
    court = [m for m in server.room_archive_of(LIGHT[2])]
    assert rows[2:] == [
        f",{LIGHT[2]},{m.sender},{m.timestamp},{m.message_id},{m.body}" for m in court
    ]


async def test_muc_domain_listing_and_resume_keep_the_checkpointed_rooms(server, tmp_path):
    server.archived_rooms = "muc"
    server.enter_room(MUC, f"{ALICE}/tablet", "Alice")
    server.add_room_message(MUC, "Alice", at_us=T0, body="tea?")
    out = tmp_path / "muc.jsonl"
    argv = [
        "export",
        "--muc-domain",
        "conference.wonderland.lit",
        "--visible-to",
        BOB,
        "--url",
        server.url,
        "-o",
        str(out),
        "--quiet",
    ]
    server.fail_next(1, status=500)  # the listing fails: nothing is exported
    status, _, err = await cli(*argv)
    assert status == 1 and "cannot list the rooms of conference.wonderland.lit" in err
    server.archived_rooms = None  # the room's read fails (mod_mam_muc off), not the listing
    status, _, err = await cli(*argv)
    assert status == 1 and f"{MUC}: failed: FeatureDisabledError" in err
    assert json.loads(checkpoint_path(out).read_text())["owners"][0]["room"] == MUC
    server.archived_rooms = "muc"
    server.add_room("zzz@conference.wonderland.lit", kind="muc")  # listed from now on
    server.requests.clear()
    status, _, err = await cli(*argv, "--resume")
    assert (status, err) == (0, "")
    assert [json.loads(x)["body"] for x in out.read_text().splitlines()] == ["tea?"]
    assert [r.json["variables"]["room"] for r in server.requests] == [MUC]  # no new listing


async def test_rooms_need_graphql(server):
    status, _, err = await cli("export", "--room", LIGHT[0], "--api", "rest", "--url", server.url)
    assert status == 2 and "--api graphql" in err
    async with FakeMongooseIM(version="3.7") as legacy:
        status, _, err = await cli(
            "export", "--room", LIGHT[0], "--api", "auto", "--url", legacy.url
        )
        assert status == 1 and "cannot be read over MongooseIM's REST admin API" in err
    async with AdminClient(server.url) as client:
        with pytest.raises(UnsupportedOperationError):
            await export_archives(client, [], io.BytesIO(), rooms=[Room(LIGHT[0])])


async def test_the_union_of_the_shards_is_a_single_run(server, tmp_path: Path):
    owners = [ALICE, BOB, CAROL]
    rooms = [Room(room) for room in LIGHT] + [Room(MUC, "muc")]
    async with AdminClient(server.url, api="graphql") as client:
        single = tmp_path / "single.jsonl"
        assert (await export_archives(client, owners, single, rooms=rooms)).ok
        expected = single.read_text().splitlines()
        shards: list[list[str]] = []
        for index in (1, 2, 3):
            out = tmp_path / f"shard{index}.jsonl"
            options = ExportOptions(shard=(index, 3), page_size=9)
            summary = await export_archives(client, owners, out, options, rooms=rooms)
            assert summary.ok and not checkpoint_path(out).exists()
            shards.append(out.read_text().splitlines())
    union = [line for shard in shards for line in shard]
    assert Counter(union) == Counter(expected)  # nothing lost, nothing twice
    assert by_archive(union) == by_archive(expected)  # each archive's order kept
    for index, lines in enumerate(shards, start=1):  # each archive in the shard its JID names
        assert {shard_of(name, 3) for name in by_archive(lines)} <= {index}


async def test_shard_on_the_command_line_writes_its_own_files(server, tmp_path: Path):
    out = tmp_path / "all.jsonl"
    argv = [
        "export",
        ALICE,
        BOB,
        CAROL,
        "--room",
        LIGHT[0],
        "--room",
        LIGHT[1],
        "--api",
        "graphql",
        "--url",
        server.url,
        "-o",
        str(out),
        "--quiet",
    ]
    for index in (1, 2):
        status, _, err = await cli(*argv, "--shard", f"{index}/2")
        assert (status, err) == (0, "")
    assert not out.exists()
    parts = [tmp_path / f"all.shard-{i}-of-2.jsonl" for i in (1, 2)]
    status, _, _ = await cli(*argv)
    assert Counter(sum((p.read_text().splitlines() for p in parts), [])) == Counter(
        out.read_text().splitlines()
    )
