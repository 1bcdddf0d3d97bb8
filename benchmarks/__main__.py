"""``python -m benchmarks``: every workload, every contestant, one table (``--json`` for JSON)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from .contestants import BASELINE, available, notes
from .decode import DecodeConfig, run_decode
from .live import DelayConfig, LiveConfig, run_delay, run_live
from .measure import machine, server_process
from .memory import HistoryConfig, run_history
from .network import NetworkConfig, run_network
from .report import TARGETS, format_table, with_ratios

WORKLOADS = ("W1", "W2", "W3", "W4", "D", "L", "LD")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="aiomongoose against raw aiohttp, aiohttp+orjson and httpx "
        "(see benchmarks/README.md).",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="write the results as JSON to PATH, or to stdout (the table then goes to stderr)",
    )
    parser.add_argument(
        "--only", default=",".join(WORKLOADS), help="comma-separated workloads (default: all)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per workload")
    parser.add_argument(
        "--w4-sizes",
        default="200000,1000000",
        help="archive sizes for W4 (default: 200000,1000000)",
    )
    parser.add_argument("--w4-rounds", type=int, default=3, help="child processes per size")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: checks that everything runs (~20 s)"
    )
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = set(only) - set(WORKLOADS)
    if unknown:
        raise SystemExit(f"unknown workloads: {', '.join(sorted(unknown))}")
    names, skipped = available()
    net = NetworkConfig()
    dec = DecodeConfig()
    hist = HistoryConfig()
    hist.sizes = [int(s) for s in args.w4_sizes.split(",") if s]
    hist.rounds = {size: args.w4_rounds for size in hist.sizes}
    live = LiveConfig()
    delay = DelayConfig()
    if args.quick:
        net = NetworkConfig(rounds=3, w1_requests=30, w2_waves=1, w3_requests=30, warmup=5)
        dec = DecodeConfig(rounds=3, min_round_s=0.02)
        hist.sizes = [5_000, 20_000]
        hist.rounds = {5_000: 1, 20_000: 1}
        live = LiveConfig(rounds=3, events=300, warmup=50)
        delay = DelayConfig(rounds=2, sends=5, warmup=2)
    if args.rounds:
        net.rounds = dec.rounds = live.rounds = args.rounds
    started = time.perf_counter()
    load_before = _loadavg()
    results: dict[str, Any] = {}
    needs_server = any(w in only for w in ("W1", "W2", "W3", "W4", "L"))
    if needs_server:
        with server_process() as base_url:
            if any(w in only for w in ("W1", "W2", "W3")):
                network = run_network(base_url, names, net)
                results.update({k: v for k, v in network.items() if k in only})
            if "W4" in only:
                results.update(run_history(base_url, names, hist))
            if "L" in only:
                results["L"] = run_live(base_url, names, live)
    if "D" in only:
        results["D"] = run_decode(dec)
    if "LD" in only:
        results["LD"] = run_delay(delay)
    for result in results.values():
        result.setdefault("baseline", BASELINE)
        with_ratios(result)
    return {
        "machine": machine(),
        "contestants": names,
        "skipped": skipped,
        "notes": notes(names),
        "config": {
            "network": vars(net),
            "decode": vars(dec),
            "history": {"sizes": hist.sizes, "rounds": hist.rounds, "page": hist.page_size},
            "live": vars(live),
            "delay": vars(delay),
        },
        "targets": TARGETS,
        "results": results,
        "elapsed_s": time.perf_counter() - started,
        "loadavg": [load_before, _loadavg()],
    }


def _loadavg() -> float | None:
    """The 1-minute load average: other work on the machine moves every figure."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    report = run(args)
    table = format_table(report)
    if args.json == "-":
        print(table, file=sys.stderr)
        print(json.dumps(report, indent=1, default=str))
    else:
        print(table)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=1, default=str)


if __name__ == "__main__":
    main()
