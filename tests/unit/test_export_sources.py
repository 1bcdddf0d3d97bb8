"""What an export reads: rooms as sources, their lines and checkpoint entries, and shards."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiomongoose import InvalidArgumentError, InvalidJIDError
from aiomongoose.cli.export import shard_output
from aiomongoose.export import (
    CheckpointError,
    ExportOptions,
    Room,
    checkpoint_path,
    checkpointed_owners,
    checkpointed_sources,
    shard_of,
)
from aiomongoose.export._checkpoint import Checkpoint, OwnerState, load_checkpoint, save_checkpoint
from aiomongoose.export._format import LineEncoder
from aiomongoose.export._sources import in_shard
from aiomongoose.models import ArchivedMessage

ROOM = "party@muclight.wonderland.lit"


# -- shards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jid", "shards"),
    [
        # pinned: a change of the definition would split a running deployment differently
        ("alice@wonderland.lit", [1, 2, 1, 2, 3, 2]),
        ("ALICE@Wonderland.lit/phone", [1, 2, 1, 2, 3, 2]),  # ASCII case and resource ignored
        ("party@muclight.wonderland.lit", [1, 2, 1, 4, 7, 6]),
        ("tea@conference.wonderland.lit", [1, 2, 2, 4, 5, 2]),
        ("zoë@wonderland.lit", [1, 1, 3, 3, 7, 9]),
    ],
)
def test_shard_of_is_pinned(jid, shards):
    assert [shard_of(jid, n) for n in (1, 2, 3, 4, 7, 10)] == shards


@given(st.text(min_size=1, max_size=40), st.integers(1, 64))
def test_shard_of_is_sha256_of_the_ascii_lowercased_bare_jid(jid, count):
    bare = jid.partition("/")[0]
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in bare)
    digest = hashlib.sha256(lowered.encode("utf-8", "surrogatepass")).digest()
    assert shard_of(jid, count) == int.from_bytes(digest[:8], "big") % count + 1
    assert 1 <= shard_of(jid, count) <= count


@given(st.lists(st.text(min_size=1, max_size=12), max_size=30), st.integers(1, 8))
def test_shards_partition_the_sources(jids, count):
    sources = [("user", j) for j in jids] + [("muc", f"{j}@c.x") for j in jids]
    parts = [in_shard(sources, (i, count)) for i in range(1, count + 1)]
    assert sorted(s for part in parts for s in part) == sorted(sources)
    assert in_shard(sources, None) == sources


def test_shard_option_is_checked_and_recorded():
    assert ExportOptions(shard=[2, 3]).shard == (2, 3)
    assert ExportOptions(shard=(2, 3)).settings()["shard"] == [2, 3]
    assert "shard" not in ExportOptions().settings()  # older checkpoints still fit
    for bad in [(0, 3), (4, 3), (1,), ("1", "2"), (True, 2)]:
        with pytest.raises(InvalidArgumentError):
            ExportOptions(shard=bad)
    with pytest.raises(InvalidArgumentError):
        shard_of("a@b", 0)


def test_each_shard_gets_its_own_output():
    assert shard_output("out/all.jsonl", (2, 4)) == "out/all.shard-2-of-4.jsonl"
    assert shard_output("dump", (1, 3)) == "dump.shard-1-of-3"


# -- rooms as sources --------------------------------------------------------------------


def test_room_values_are_checked():
    assert Room(ROOM).kind == "muc_light" and Room(ROOM, "muc").source == ("muc", ROOM)
    for bad in (f"{ROOM}/x", "muclight.wonderland.lit", "a b@c"):
        with pytest.raises(InvalidJIDError):
            Room(bad)
    with pytest.raises(InvalidArgumentError):
        Room(ROOM, "irc")


def test_room_lines_carry_room_instead_of_owner():
    message = ArchivedMessage(f"{ROOM}/alice@wonderland.lit", 7, "m1", "hi")
    jsonl = LineEncoder("jsonl", None, owners=False, rooms=True)
    line = json.loads(jsonl.encode(ROOM, [message], "room"))
    assert list(line) == ["room", "sender", "timestamp", "message_id", "body"]
    assert line["room"] == ROOM
    both = LineEncoder("csv", None, owners=True, rooms=True)
    assert both.header() == b"owner,room,sender,timestamp,message_id,body\r\n"
    assert both.encode(ROOM, [message], "room").startswith(f",{ROOM},{ROOM}/alice".encode())
    assert both.encode("a@x", [message], "owner").startswith(f"a@x,,{ROOM}/alice".encode())
    rooms_only = LineEncoder("csv", None, owners=False, rooms=True)
    assert rooms_only.header() == b"room,sender,timestamp,message_id,body\r\n"


def test_checkpoint_entries_name_owners_or_rooms(tmp_path: Path):
    output = tmp_path / "out.jsonl"
    checkpoint = Checkpoint(
        settings={},
        owners={
            ("user", "a@x.lit"): OwnerState(None, True, 3),
            ("muc", "tea@conference.x.lit"): OwnerState({"v": 1}, False, 2),
            ("muc_light", ROOM): OwnerState(None, False, 0),
        },
    )
    save_checkpoint(checkpoint_path(output), checkpoint)
    entries = json.loads(checkpoint_path(output).read_bytes())["owners"]
    assert entries[0] == {"owner": "a@x.lit", "done": True, "messages": 3, "cursor": None}
    assert entries[1]["room"] == "tea@conference.x.lit" and entries[1]["kind"] == "muc"
    assert "owner" not in entries[1]
    assert load_checkpoint(checkpoint_path(output)) == checkpoint
    assert checkpointed_owners(output) == ["a@x.lit"]
    assert checkpointed_sources(output) == (
        ["a@x.lit"],
        [Room("tea@conference.x.lit", "muc"), Room(ROOM)],
    )


@pytest.mark.parametrize(
    "entry",
    [
        {"room": ROOM},  # no kind
        {"room": ROOM, "kind": "irc"},
        {"owner": "a@x", "room": ROOM, "kind": "muc"},
        {"owner": "a@x", "kind": "muc"},
        {},
    ],
)
def test_malformed_checkpoint_entries_are_refused(tmp_path: Path, entry):
    path = tmp_path / "x.checkpoint.json"
    full = {**entry, "done": False, "messages": 0, "cursor": None}
    raw = {"version": 1, "settings": {}, "length": 0, "owners": [full]}
    path.write_text(json.dumps(raw))
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint(path)
