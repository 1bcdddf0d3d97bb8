"""The benchmark suite keeps working: imports, the decode workload D at a tiny size, and the
benchmark server's archive semantics. No timing is asserted anywhere."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks/` is not installed: it lives beside the package
    sys.path.insert(0, str(ROOT))

from aiomongoose._codec import parse_archive  # noqa: E402
from aiomongoose.paging.seconds import BackwardPager, CursorState  # noqa: E402
from benchmarks import data as bench_data  # noqa: E402
from benchmarks.decode import DecodeConfig, run_decode  # noqa: E402
from benchmarks.report import format_table, with_ratios  # noqa: E402
from benchmarks.server import AUTH, BenchApp  # noqa: E402

MODULES = ["__main__", "contestants", "data", "decode", "measure", "memory", "network"]
MODULES += ["report", "server"]
TOKEN = b"Basic " + base64.b64encode(":".join(AUTH).encode())


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_modules_import(name):
    importlib.import_module(f"benchmarks.{name}")


def test_decode_workload_runs_at_a_tiny_size():
    result = run_decode(DecodeConfig(rounds=2, records=5, min_round_s=0.0005))
    rows = result["contestants"]
    assert {"json+dicts", "aiomongoose", "per-record-hooks"} <= set(rows)
    with_ratios(result)
    assert rows["json+dicts"]["ratio"] == 1.0
    assert all(row["rate"] > 0 and len(row["rates"]) == 2 for row in rows.values())
    report = {
        "machine": {"cpu": "x", "nproc": 1, "python": "3", "platform": "p", "versions": {}},
        "skipped": {},
        "results": {"D": result},
        "elapsed_s": 0.0,
    }
    assert "aiomongoose" in format_table(report)


def _brute_force_page(total, before, limit):
    times = [bench_data.START_US + i * bench_data.STEP_US for i in range(total)]
    chosen = [i for i, t in enumerate(times) if before is None or t <= before * 1_000_000]
    return chosen[-limit:] if limit else []


@pytest.mark.parametrize("before", [None, 0, 1_600_000_000, 1_600_000_001, 1_600_000_003])
@pytest.mark.parametrize("limit", [0, 1, 3, 500])
def test_archive_pages_follow_the_server_rules(before, limit):
    assert list(bench_data.page_indices(40, before, limit)) == _brute_force_page(40, before, limit)


def test_archive_records_report_rounded_seconds():
    records = json.loads(bench_data.archive_page(8, None, 8))
    # .137 and .387 round down, .637 and .887 round up: 2, 4, 2 records per second
    assert [r["timestamp"] - 1_600_000_000 for r in records] == [0, 0, 1, 1, 1, 1, 2, 2]
    assert records[0]["body"] == "undefined" and records[1]["body"].startswith("message 1 ")
    assert len({r["message_id"] for r in records}) == 8


def test_bench_server_pages_through_an_archive_exactly_once():
    app = BenchApp()
    total = 2_345
    pager = BackwardPager(CursorState(limit=500))
    seen = []
    while not pager.done:
        query = f"limit={pager.next_limit()}"
        if pager.next_before() is not None:
            query = f"before={pager.next_before()}&{query}"
        target = f"/api/messages/archive{total}%40bench.lit?{query}".encode()
        answer = app.respond(b"GET", target, TOKEN)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        seen += pager.advance(parse_archive(body))
    assert [m.message_id for m in seen] == [f"{i:08x}-bench" for i in reversed(range(total))]


def test_bench_server_checks_auth_and_answers_fixed_pages_and_posts():
    app = BenchApp()
    assert app.respond(b"GET", b"/api/messages/page50@bench.lit", None).startswith(b"HTTP/1.1 401")
    page = app.respond(b"GET", b"/api/messages/page50%40bench.lit/bob%40bench.lit", TOKEN)
    assert len(parse_archive(page.partition(b"\r\n\r\n")[2])) == 50
    assert app.respond(b"POST", b"/api/messages", TOKEN).startswith(b"HTTP/1.1 204")
    bad = app.respond(b"GET", b"/api/messages/archive10@bench.lit?limit=x", TOKEN)
    assert bad.startswith(b"HTTP/1.1 400") and bad.endswith(b'"Invalid limit"')
