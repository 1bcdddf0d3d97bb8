"""Where workloads W1-W4 and D spend their time: cProfile of one contestant.

``python -m benchmarks.profile_rest [--contestant aiomongoose] [--workload W1] [--top 25]``
starts the benchmark server (:mod:`benchmarks.server`), warms the contestant up, then
profiles one workload (W1: sequential ``recent()`` of 50 records, W2: waves of 64
concurrent ``recent()`` of 500, W3: sequential ``send()``, W4: ``history()`` through an
archive, D: ``parse_archive`` of a 500-record page) and prints the functions by own time.
As with :mod:`benchmarks.profile_live`, cProfile inflates code that makes many small
calls: read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats

from .contestants import CONTESTANTS, Contestant, make
from .measure import server_process
from .network import RECIPIENT, SENDER, TEXT

__all__ = ["main", "profile_workload"]


async def _w1(c: Contestant, n: int) -> None:
    for _ in range(n):
        await c.recent("page50@bench.lit", 50)


async def _w2(c: Contestant, n: int) -> None:
    for _ in range(max(1, n // 64)):
        await asyncio.gather(*(c.recent("page500@bench.lit", 500) for _ in range(64)))


async def _w3(c: Contestant, n: int) -> None:
    for _ in range(n):
        await c.send(SENDER, RECIPIENT, TEXT)


async def _w4(c: Contestant, n: int) -> None:
    async for _ in c.history(f"archive{n}@bench.lit", 500):
        pass


WORKLOADS = {"W1": (_w1, 2_000), "W2": (_w2, 640), "W3": (_w3, 2_000), "W4": (_w4, 200_000)}


async def _profile(base_url: str, name: str, workload: str, n: int) -> cProfile.Profile:
    fn, _ = WORKLOADS[workload]
    contestant = make(name, base_url)
    await contestant.open()
    try:
        await fn(contestant, 64 if workload == "W2" else 50)  # warm up
        profile = cProfile.Profile()
        profile.enable()
        await fn(contestant, n)
        profile.disable()
    finally:
        await contestant.close()
    return profile


def _profile_decode(n: int) -> cProfile.Profile:
    from aiomongoose._codec import parse_archive

    from .data import fixed_page

    body = fixed_page(500)
    parse_archive(body)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        parse_archive(body)
    profile.disable()
    return profile


def profile_workload(
    name: str = "aiomongoose", workload: str = "W1", n: int | None = None, top: int = 25
) -> str:
    """The cProfile summary (own time first) of ``name`` running ``workload``."""
    if workload == "D":
        profile = _profile_decode(n or 2_000)
    else:
        with server_process() as base_url:
            profile = asyncio.run(_profile(base_url, name, workload, n or WORKLOADS[workload][1]))
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_rest")
    parser.add_argument("--contestant", default="aiomongoose", choices=sorted(CONTESTANTS))
    parser.add_argument("--workload", default="W1", choices=[*WORKLOADS, "D"])
    parser.add_argument("-n", type=int, default=None, help="requests, messages or pages")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    print(profile_workload(args.contestant, args.workload, args.n, args.top))


if __name__ == "__main__":
    main()
