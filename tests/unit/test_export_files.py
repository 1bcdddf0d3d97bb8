"""The pure parts of the exporter: line encoding, the spool, the checkpoint file, options."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from aiomongoose import ArchivedMessage, InvalidArgumentError, InvalidJIDError
from aiomongoose.export import (
    CheckpointError,
    ExportOptions,
    ExportProgress,
    ExportSummary,
    OwnerFailure,
    checkpoint_path,
    checkpointed_owners,
)
from aiomongoose.export._checkpoint import (
    Checkpoint,
    OwnerState,
    load_checkpoint,
    save_checkpoint,
)
from aiomongoose.export._format import LineEncoder
from aiomongoose.export._spool import Spool

A = ArchivedMessage("alice@x.lit/phone", 1700000000, "id1", 'Hi, "you"\nthere ☕')
B = ArchivedMessage("bob@x.lit", 1700000001, "", None)


def test_jsonl_lines() -> None:
    enc = LineEncoder("jsonl", None)
    assert enc.header() == b""
    assert enc.encode("Alice@X.lit", [A, B]).decode() == (
        '{"owner":"Alice@X.lit","sender":"alice@x.lit/phone","timestamp":1700000000,'
        '"message_id":"id1","body":"Hi, \\"you\\"\\nthere ☕"}\n'
        '{"owner":"Alice@X.lit","sender":"bob@x.lit","timestamp":1700000001,'
        '"message_id":"","body":null}\n'
    )
    assert enc.encode("a@x.lit", []) == b""


def test_jsonl_with_field_and_lone_surrogate() -> None:
    enc = LineEncoder("jsonl", "bob@x.lit")
    odd = ArchivedMessage("bob@x.lit", 5, "i", "bad \ud800 text")
    line = enc.encode("a@x.lit", [odd])
    assert line == (
        b'{"owner":"a@x.lit","with":"bob@x.lit","sender":"bob@x.lit","timestamp":5,'
        b'"message_id":"i","body":"bad \\ud800 text"}\n'
    )
    assert json.loads(line)["body"] == "bad \ud800 text"
    assert enc.fields == ("owner", "with", "sender", "timestamp", "message_id", "body")


def test_csv_rows() -> None:
    enc = LineEncoder("csv", None)
    assert enc.header() == b"owner,sender,timestamp,message_id,body\r\n"
    assert enc.encode("a@x.lit", [A, B]).decode() == (
        'a@x.lit,alice@x.lit/phone,1700000000,id1,"Hi, ""you""\nthere ☕"\r\n'
        "a@x.lit,bob@x.lit,1700000001,,\r\n"
    )
    with_enc = LineEncoder("csv", "b@x.lit")
    assert with_enc.header() == b"owner,with,sender,timestamp,message_id,body\r\n"
    assert with_enc.encode("a@x.lit", [B]) == b"a@x.lit,b@x.lit,bob@x.lit,1700000001,,\r\n"


def test_spool_reads_pages_back_last_first(tmp_path: Path) -> None:
    spool = Spool(str(tmp_path))
    for page in (b"p1-a\np1-b\n", b"", b"p3\n", b"p4-a\np4-b\np4-c\n"):
        spool.add(page)
    out = io.BytesIO()
    assert spool.copy_reversed(out) == 28 == spool.size
    assert out.getvalue() == b"p4-a\np4-b\np4-c\np3\np1-a\np1-b\n"
    assert spool.pages == 4
    spool.close()
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_empty_spool() -> None:
    spool = Spool()
    out = io.BytesIO()
    assert spool.copy_reversed(out) == 0 and out.getvalue() == b""
    spool.close()


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    path = checkpoint_path(tmp_path / "out.jsonl")
    assert path == tmp_path / "out.jsonl.checkpoint.json"
    cursor = {"v": 1, "upper": None, "oldest": 17, "at_oldest": 2, "max_page": 50}
    checkpoint = Checkpoint(
        settings={"format": "jsonl", "with": None, "before": None, "chronological": False},
        owners={
            ("user", "b@x.lit"): OwnerState(cursor, False, 150),
            ("user", "a@x.lit"): OwnerState(None, True, 3),
        },
        length=12345,
    )
    save_checkpoint(path, checkpoint)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl.checkpoint.json"]
    assert json.loads(path.read_bytes()) == {
        "version": 1,
        "settings": checkpoint.settings,
        "length": 12345,
        "owners": [
            {"owner": "b@x.lit", "done": False, "messages": 150, "cursor": cursor},
            {"owner": "a@x.lit", "done": True, "messages": 3, "cursor": None},
        ],
    }
    assert load_checkpoint(path) == checkpoint
    assert checkpointed_owners(str(tmp_path / "out.jsonl")) == ["b@x.lit", "a@x.lit"]
    assert checkpointed_owners(str(tmp_path / "other.jsonl")) is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[]",
        b'{"version": 2, "settings": {}, "length": 0, "owners": []}',
        b'{"version": 1, "settings": {}, "length": -1, "owners": []}',
        b'{"version": 1, "settings": [], "length": 0, "owners": []}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": [{"owner": "a"}]}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": '
        b'[{"owner": "a", "done": 1, "messages": 0, "cursor": null}]}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": '
        b'[{"owner": "a", "done": true, "messages": 0, "cursor": null},'
        b' {"owner": "a", "done": true, "messages": 0, "cursor": null}]}',
        # what the converter's strict hooks refuse, key by key
        b'{"version": 1, "settings": {}, "length": true, "owners": []}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": {"a": 1}}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": [], "extra": 1}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": '
        b'[{"owner": 7, "done": true, "messages": 0, "cursor": null}]}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": '
        b'[{"owner": "a", "done": true, "messages": -1, "cursor": null}]}',
        b'{"version": 1, "settings": {}, "length": 0, "owners": '
        b'[{"owner": "a", "done": true, "messages": 0, "cursor": []}]}',
    ],
)
def test_malformed_checkpoints_are_refused(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "x.checkpoint.json"
    path.write_bytes(raw)
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint(path)


def test_options_defaults_and_settings() -> None:
    options = ExportOptions()
    assert (options.concurrency, options.format, options.chronological) == (4, "jsonl", False)
    assert (options.on_stall, options.resume, options.page_size) == ("raise", False, None)
    moment = datetime(2023, 11, 14, 22, 13, 20, 900_000, tzinfo=timezone.utc)
    options = ExportOptions(before=moment, with_="b@x.lit", format="csv", chronological=True)
    assert options.before == 1700000000  # floored to the second
    assert options.settings() == {
        "format": "csv",
        "with": "b@x.lit",
        "before": 1700000000,
        "chronological": True,
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0},
        {"concurrency": True},
        {"page_size": 0},
        {"format": "xml"},
        {"on_stall": "ignore"},
        {"chronological": 1},
        {"timeout": -1},
        {"before": datetime(2023, 1, 1)},
        {"checkpoint_interval": -0.1},
    ],
)
def test_invalid_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError):
        ExportOptions(**kwargs)  # type: ignore[arg-type]


def test_invalid_with_jid() -> None:
    with pytest.raises(InvalidJIDError):
        ExportOptions(with_="a b@x")


def test_summary_from_progress() -> None:
    progress = ExportProgress(owners_total=3, owners_done=2, owners_skipped=1, written=10)
    progress.failures.append(OwnerFailure("c@x.lit", ValueError("boom")))
    summary = ExportSummary.from_progress(progress, 99)
    assert not summary.ok
    assert summary.failures[0].message == "ValueError: boom"
    assert (summary.owners, summary.owners_done, summary.messages, summary.length) == (
        3,
        2,
        10,
        99,
    )
    assert summary.rate == pytest.approx(10 / summary.elapsed)
