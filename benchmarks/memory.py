"""W4: ``history()`` through a whole archive, each run in a fresh child process.

``python -m benchmarks.memory --base-url URL --contestant NAME --messages N`` opens the
contestant, makes one tiny request (so that lazily imported code and the connection
exist), notes the peak resident set size (``VmHWM``), pages through the synthetic archive of
``N`` messages newest first with ``page_size`` 500, and prints one JSON line: messages,
seconds, the peak RSS before and after, GC collections. Memory bounded by the page size
shows as the same small growth for 200,000 and 1,000,000 messages; a pager that kept what
it yielded would grow by about 300 bytes a message (300 MB for 1,000,000).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from .measure import ROOT, GcCounter, median, rotations

__all__ = ["HistoryConfig", "main", "run_history"]

PAGE_SIZE = 500


def peak_rss_kib() -> int:
    """The process's peak resident set size so far, in KiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


async def _child(base_url: str, name: str, messages: int, page_size: int) -> dict[str, Any]:
    from .contestants import make

    contestant = make(name, base_url, 4)
    await contestant.open()
    try:
        await contestant.recent("page1@bench.lit", 1)
        before = peak_rss_kib()
        owner = f"archive{messages}@bench.lit"
        count = 0
        first = last = None
        with GcCounter() as gc_counter:
            cpu = time.process_time()
            started = time.perf_counter()
            async for message in contestant.history(owner, page_size):
                if first is None:
                    first = message
                last = message
                count += 1
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
        after = peak_rss_kib()
    finally:
        await contestant.close()
    if count != messages:
        raise AssertionError(f"{name}: {count} messages out of {messages}")
    ids = [_message_id(m) for m in (first, last)]
    if ids != [f"{messages - 1:08x}-bench", f"{0:08x}-bench"]:
        raise AssertionError(f"{name}: wrong order {ids}")
    return {
        "contestant": name,
        "messages": count,
        "wall_s": elapsed,
        "cpu_s": cpu,
        "peak_rss_before_kib": before,
        "peak_rss_after_kib": after,
        "rss_growth_kib": after - before,
        "gc": gc_counter.counts,
    }


def _message_id(message: Any) -> Any:
    return message["message_id"] if isinstance(message, dict) else message.message_id


@dataclass
class HistoryConfig:
    sizes: list[int] = field(default_factory=lambda: [200_000, 1_000_000])
    rounds: dict[int, int] = field(default_factory=lambda: {200_000: 3, 1_000_000: 3})
    page_size: int = PAGE_SIZE


def _spawn(base_url: str, name: str, messages: int, page_size: int) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    argv = [sys.executable, "-m", "benchmarks.memory", "--base-url", base_url]
    argv += ["--contestant", name, "--messages", str(messages), "--page-size", str(page_size)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"W4 child {name} {messages} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_history(base_url: str, names: list[str], cfg: HistoryConfig) -> dict[str, Any]:
    results = {}
    for size in cfg.sizes:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for order in rotations(names, cfg.rounds.get(size, 1)):
            for name in order:
                runs[name].append(_spawn(base_url, name, size, cfg.page_size))
        rows = {}
        for name, done in runs.items():
            rates = [r["messages"] / r["wall_s"] for r in done]
            cpus = [r["cpu_s"] / r["messages"] * 1e6 for r in done]
            rows[name] = {
                "rate": median(rates),
                "rates": rates,
                "cpus": cpus,
                "cpu_us_per_unit": median(cpus),
                "rss_growth_kib": max(r["rss_growth_kib"] for r in done),
                "gc": [sum(r["gc"][g] for r in done) for g in range(3)],
                "rounds": done,
            }
        key = f"W4-{size // 1000}k" if size < 1_000_000 else f"W4-{size // 1_000_000}M"
        results[key] = {
            "workload": key,
            "what": f"history() through {size:,} messages, page {cfg.page_size}, fresh process",
            "unit": "messages/s",
            "contestants": rows,
        }
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--contestant", required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    args = parser.parse_args(argv)
    result = asyncio.run(_child(args.base_url, args.contestant, args.messages, args.page_size))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
