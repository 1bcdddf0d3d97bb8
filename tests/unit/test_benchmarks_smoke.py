"""The benchmark suite keeps working: imports, the decode workload D and the live-message
workloads L and LD at tiny sizes, the benchmark server's archive semantics and its event
stream. No timing is asserted anywhere."""

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
from aiomongoose.messages.sse import EventDecoder, parse_event, subscribe_query  # noqa: E402
from aiomongoose.paging.seconds import BackwardPager  # noqa: E402
from aiomongoose.paging.seconds_cursor import CursorState  # noqa: E402
from benchmarks import data as bench_data  # noqa: E402
from benchmarks.contestants import available  # noqa: E402
from benchmarks.decode import DecodeConfig, run_decode  # noqa: E402
from benchmarks.live import DelayConfig, LiveConfig, run_delay, run_live  # noqa: E402
from benchmarks.measure import server_process  # noqa: E402
from benchmarks.report import format_table, with_ratios  # noqa: E402
from benchmarks.server import AUTH, BenchApp, Closing  # noqa: E402

MODULES = ["__main__", "contestants", "data", "decode", "measure", "memory", "network"]
MODULES += ["report", "server", "live", "profile_live"]
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


def _sse_target(caller: str) -> bytes:
    from urllib.parse import urlencode

    return f"/api/graphql/sse?{urlencode(subscribe_query(caller))}".encode()


def _dechunk(body: bytes) -> bytes:
    out = b""
    while True:
        size, _, rest = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            assert rest == b"\r\n"
            return out
        out += rest[:n]
        assert rest[n : n + 2] == b"\r\n"
        body = rest[n + 2 :]


def test_bench_server_streams_events_that_subscribe_reads():
    app = BenchApp()
    caller = "stream7@bench.lit"
    answer = app.respond(b"GET", _sse_target(caller), TOKEN)
    assert isinstance(answer, Closing)  # the connection ends with the stream
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"content-type: text/event-stream" in head
    text = _dechunk(body)
    assert text.startswith(b"id: 1\ndata: {") and text.endswith(b"\n\n")
    events = EventDecoder().feed(text)
    messages = [parse_event(data, caller, url="bench") for data in events]
    assert [m.message_id for m in messages] == [bench_data.stanza_id(i) for i in range(7)]
    assert [m.archive_id for m in messages] == [bench_data.archive_id(i) for i in range(7)]
    assert len({m.archive_id for m in messages}) == 7
    assert messages[3].body == "message 3 of the live stream, a short chat line"
    assert messages[3].to == caller and messages[3].sender == bench_data.STREAM_SENDER
    assert messages[1].received_at.microsecond == 387_000


def test_bench_server_answers_the_subscription_s_other_requests():
    app = BenchApp()
    unknown = app.respond(b"GET", _sse_target("nobody@bench.lit"), TOKEN)
    assert unknown.startswith(b"HTTP/1.1 200 ") and b'"unknown_user"' in unknown
    assert not isinstance(unknown, Closing)
    assert app.respond(b"GET", _sse_target("stream1@bench.lit"), None).startswith(b"HTTP/1.1 401")
    assert app.respond(b"POST", _sse_target("stream1@bench.lit"), TOKEN).startswith(b"HTTP/1.1 405")
    last = app.respond(
        b"POST",
        b"/api/graphql",
        TOKEN,
        b'{"query":"query LastMessages(...) '
        b'{ stanza { getLastMessages(caller: $caller) { limit } } }"}',
    )
    assert last.endswith(b'{"data":{"stanza":{"getLastMessages":{"stanzas":[],"limit":50}}}}')
    other = app.respond(b"POST", b"/api/graphql", TOKEN, b'{"query":"{ x }"}')
    assert other.startswith(b"HTTP/1.1 400")


def test_live_workloads_run_at_a_tiny_size():
    names, _ = available()
    with server_process() as base_url:
        result = run_live(base_url, names, LiveConfig(rounds=2, events=30, warmup=5))
    result["baseline"] = "aiohttp-json"
    with_ratios(result)
    rows = result["contestants"]
    assert {"aiohttp-json", "aiomongoose"} <= set(rows)
    assert rows["aiohttp-json"]["ratio"] == 1.0
    assert all(row["rate"] > 0 and len(row["rates"]) == 2 for row in rows.values())
    assert "target" in result  # L has one (0.8)
    delay = run_delay(DelayConfig(rounds=1, sends=3, warmup=1))
    assert {row["sends"] for row in delay["contestants"].values()} == {3}
    report = {
        "machine": {"cpu": "x", "nproc": 1, "python": "3", "platform": "p", "versions": {}},
        "skipped": {},
        "results": {"L": result, "LD": delay},
        "elapsed_s": 0.0,
    }
    table = format_table(report)
    assert "aiomongoose subscribe()" in table and "median ms" in table
