"""Export throughput and peak memory, next to a bare aiohttp paging loop.

``python -m benchmarks.bench_export [--messages 100000 1000000] [--page-size 500]``

For each size, the fake server (``python -m aiomongoose.testing``) is started in its own
process with a generated archive (20 users; a message is archived for its sender and its
recipient, so N messages make about 2N archive entries). Then, each in a fresh child
process so that its peak RSS (``VmHWM``) is its own:

* ``export``: :func:`aiomongoose.export.export_archives` of every user to a JSON Lines file
  (checkpointed, fsynced), ``concurrency=4``;
* ``bare``: the loop a script would write with aiohttp alone: 4 workers, ``session.get``,
  ``json.loads``, ``before = oldest + 1`` and the repeated boundary records dropped by
  comparing with the previous page; no output.

Both read the same archives with the same page size. The report gives archive entries per
second (best of ``--rounds``, default 2, alternating which goes first), the peak RSS
before the run (imports, session) and after it (the largest over the rounds), and the
ratio of the rates. The default run takes about 1.5 minutes on two cores. Nothing here
runs in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

CONCURRENCY = 4
DOMAIN = "wonderland.lit"


def peak_rss_kib() -> int:
    """The peak resident set size of this process so far, in KiB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


async def _export_child(url: str, page_size: int, path: str) -> dict[str, Any]:
    from aiomongoose import AdminClient
    from aiomongoose.export import ExportOptions, export_archives

    async with AdminClient(url) as client:
        owners = await client.users.list(DOMAIN)
        before = peak_rss_kib()
        started = time.perf_counter()
        options = ExportOptions(page_size=page_size, concurrency=CONCURRENCY)
        summary = await export_archives(client, owners, path, options)
        elapsed = time.perf_counter() - started
    assert summary.ok, summary.failures
    return {"entries": summary.messages, "seconds": elapsed, "rss_before": before}


async def _bare_owner(session: aiohttp.ClientSession, url: str, owner: str, size: int) -> int:
    count = at_oldest = 0
    before: int | None = None
    while True:
        params = {"limit": str(size)}
        if before is not None:
            params["before"] = str(before)
        async with session.get(f"{url}/messages/{owner}", params=params) as resp:
            resp.raise_for_status()
            page = json.loads(await resp.read())
        # The simple way: with before = oldest + 1, the page ends with what was delivered
        # already: every delivered record at the oldest second, and those of the page at
        # the next second (not all delivered ones: they may lie after before * 10**6 us).
        repeated = at_oldest + sum(1 for r in page if r["timestamp"] == before)
        fresh = page[: max(0, len(page) - repeated)]
        if not fresh:
            return count
        count += len(fresh)
        oldest = fresh[0]["timestamp"]
        same = sum(1 for r in fresh if r["timestamp"] == oldest)
        at_oldest = same + (at_oldest if before == oldest + 1 else 0)
        before = oldest + 1


async def _bare_child(url: str, page_size: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/users/{DOMAIN}") as resp:
            owners = json.loads(await resp.read())
        before = peak_rss_kib()
        started = time.perf_counter()
        queue = list(owners)
        total = 0

        async def worker() -> None:
            nonlocal total
            while queue:
                count = await _bare_owner(session, url, queue.pop(), page_size)
                total += count  # not `total += await ...`: that reads total before the await

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return {"entries": total, "seconds": elapsed, "rss_before": before}


def _child(args: argparse.Namespace) -> None:
    if args.child == "export":
        with tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(_export_child(args.url, args.page_size, f"{tmp}/out.jsonl"))
    else:
        result = asyncio.run(_bare_child(args.url, args.page_size))
    result["rss_after"] = peak_rss_kib()
    print(json.dumps(result))


def _spawn(kind: str, url: str, page_size: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks.bench_export", "--child", kind, "--url", url]
    argv += ["--page-size", str(page_size)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _serve(messages: int, page_size: int) -> tuple[subprocess.Popen[str], str, int]:
    argv = [sys.executable, "-m", "aiomongoose.testing", "--port", "0", "--users", "20"]
    argv += ["--messages", str(messages), "--max-result-limit", str(max(page_size, 50))]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    entries = 0
    for line in server.stdout:
        if line.startswith("Serving"):
            break
        entries += int(line.rsplit(":", 1)[1].split()[0])
    return server, url, entries


def _measure(messages: int, page_size: int, rounds: int) -> None:
    started = time.perf_counter()
    server, url, entries = _serve(messages, page_size)
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "export": []}
    try:
        print(
            f"{messages:,} messages ({entries:,} archive entries), server ready in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for i in range(rounds):  # alternate the order, so that neither always goes first
            for kind in ("bare", "export") if i % 2 == 0 else ("export", "bare"):
                result = _spawn(kind, url, page_size)
                if result["entries"] != entries:
                    raise AssertionError(f"{kind} read {result['entries']} of {entries}")
                runs[kind].append(result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rates = {}
    for kind, results in runs.items():
        # Best of the rounds, as timeit does: on a shared machine the noise only slows down.
        rates[kind] = max(r["entries"] / r["seconds"] for r in results)
        before = max(r["rss_before"] for r in results) / 1024
        after = max(r["rss_after"] for r in results) / 1024
        print(
            f"  {kind:<7} {rates[kind]:>10,.0f} entries/s (best of {rounds})"
            f"   peak RSS {before:6.1f} MiB before the run, {after:6.1f} MiB after"
        )
    print(f"  export/bare throughput ratio: {rates['export'] / rates['bare']:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_export")
    parser.add_argument("--messages", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=["export", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return
    print(f"export vs bare aiohttp: page {args.page_size}, concurrency {CONCURRENCY}")
    for messages in args.messages:
        _measure(messages, args.page_size, args.rounds)


if __name__ == "__main__":
    main()
