"""``aiomongoose demo`` with a small archive, and the check it relies on."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from aiomongoose.cli import main
from aiomongoose.cli.demo import Verification, verify_export
from aiomongoose.testing import FakeMongooseIM, generate_archive

pytestmark = pytest.mark.timeout(30)


def archived_entries(messages: int, users: int, seed: int) -> int:
    fake = FakeMongooseIM()  # never started: only its archive is used
    jids = generate_archive(fake, users=users, messages=messages, seed=seed)
    return sum(len(fake.archive_of(jid)) for jid in jids)


def test_demo_exports_and_verifies(tmp_path: Path) -> None:
    kept = tmp_path / "demo.jsonl"
    out, err = io.BytesIO(), io.StringIO()
    argv = ["demo", "--messages", "3000", "--users", "5", "--seed", "4", "--keep", str(kept)]
    status = main(argv, stdout=out, stderr=err)
    expected = archived_entries(3000, 5, 4)
    assert status == 0
    assert re.fullmatch(
        rf"verified: {expected} messages, 0 lost, 0 duplicated \(total \d+\.\d s\)\n",
        out.getvalue().decode(),
    )
    report = err.getvalue()
    assert "owners:   5 (5 exported, 0 already done, 0 failed)" in report
    assert f"messages: {expected:,}\n" in report
    assert "stalls:   0\n" in report
    lines = kept.read_text("utf-8").splitlines()
    assert len(lines) == expected
    owners = {json.loads(line)["owner"] for line in lines}
    assert owners == {f"{n}@wonderland.lit" for n in ("alice", "bob", "carol", "dave", "eve")}


def test_demo_quiet_prints_only_the_verdict() -> None:
    out, err = io.BytesIO(), io.StringIO()
    status = main(["demo", "--messages", "500", "--users", "3", "--quiet"], stdout=out, stderr=err)
    assert status == 0
    assert err.getvalue() == ""
    assert (
        out.getvalue()
        .decode()
        .startswith(f"verified: {archived_entries(500, 3, 0)} messages, 0 lost, 0 duplicated")
    )


def record(owner: str, mid: str, second: int = 1) -> str:
    return json.dumps(
        {"owner": owner, "sender": owner, "timestamp": second, "message_id": mid, "body": None}
    )


def test_verification_finds_lost_duplicated_and_misordered(tmp_path: Path) -> None:
    a, b = "a@x.lit", "b@x.lit"
    expected = {
        a: [(a, 3, "a3", None), (a, 2, "a2", None), (a, 1, "a1", None)],
        b: [(b, 1, "b1", None)],
    }
    path = tmp_path / "export.jsonl"
    good = [record(a, "a3", 3), record(b, "b1"), record(a, "a2", 2), record(a, "a1")]
    path.write_text("\n".join(good) + "\n")
    assert verify_export(path, expected) == Verification(4, 0, 0, ())
    path.write_text("\n".join([record(a, "a3", 3), record(a, "a3", 3), record(b, "b1")]) + "\n")
    assert verify_export(path, expected) == Verification(3, 2, 1, (a,))
    path.write_text("\n".join([record(a, "a2", 2), record(a, "a3", 3), record(a, "a1")]) + "\n")
    assert verify_export(path, expected) == Verification(3, 1, 0, (a, b))


def test_demo_over_graphql_without_graphql_core_says_what_to_install(monkeypatch) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "graphql" else find_spec(name, *a),
    )
    out, err = io.BytesIO(), io.StringIO()
    status = main(["demo", "--api", "graphql", "--messages", "10"], stdout=out, stderr=err)
    assert (status, out.getvalue()) == (1, b"")
    assert err.getvalue() == (
        "aiomongoose demo: --api graphql needs graphql-core: pip install 'aiomongoose[testing]'\n"
    )


def test_demo_over_graphql_exports_rooms_too(tmp_path: Path) -> None:
    kept = tmp_path / "demo.jsonl"
    out, err = io.BytesIO(), io.StringIO()
    argv = ["demo", "--api", "graphql", "--messages", "1500", "--users", "8", "--keep", str(kept)]
    status = main(argv, stdout=out, stderr=err)
    assert status == 0, err.getvalue()
    expected = archived_entries(1500, 8, 0) + 150  # a tenth as many in the rooms
    assert out.getvalue().decode().startswith(f"verified: {expected} messages, 0 lost")
    assert "archives: 10 (8 owners, 2 rooms; 10 exported" in err.getvalue()
    rooms = {json.loads(line).get("room") for line in kept.read_text("utf-8").splitlines()}
    assert rooms - {None} == {
        "tea-party@muclight.wonderland.lit",
        "croquet@muclight.wonderland.lit",
    }
