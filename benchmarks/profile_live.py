"""Where workload L's time goes: cProfile of one contestant's subscription loop.

``python -m benchmarks.profile_live [--contestant aiomongoose] [--events 20000] [--top 25]``
starts the benchmark server (:mod:`benchmarks.server`), warms the contestant up, then
profiles one ``listen()`` of ``--events`` events (for aiomongoose: ``subscribe()`` and
``await anext(incoming)`` per event) and prints the functions by own time. cProfile adds a
fixed cost per Python call, so it inflates code that makes many small calls: read the
shares, not the absolute times, and check a finding with a timer before acting on it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats

from .contestants import CONTESTANTS, make
from .measure import server_process

__all__ = ["main", "profile_listen"]


async def _profile(base_url: str, name: str, events: int) -> cProfile.Profile:
    contestant = make(name, base_url)
    await contestant.open()
    try:
        await contestant.listen("stream2000@bench.lit", 2_000)
        profile = cProfile.Profile()
        profile.enable()
        await contestant.listen(f"stream{events}@bench.lit", events)
        profile.disable()
    finally:
        await contestant.close()
    return profile


def profile_listen(name: str = "aiomongoose", events: int = 20_000, top: int = 25) -> str:
    """The cProfile summary (own time first) of ``name`` reading ``events`` events."""
    with server_process() as base_url:
        profile = asyncio.run(_profile(base_url, name, events))
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_live")
    parser.add_argument("--contestant", default="aiomongoose", choices=sorted(CONTESTANTS))
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    print(profile_listen(args.contestant, args.events, args.top))


if __name__ == "__main__":
    main()
