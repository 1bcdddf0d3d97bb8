"""W1, W2, W3: requests over real HTTP to the benchmark server, contestants interleaved.

Every contestant keeps one open client for the whole workload (as an application would),
warms up, then runs one timed round after the other: A B C D, B C D A, ... Each round
starts with ``gc.collect()`` (outside the timing) so that no round pays for the garbage of
the previous one, and nothing a round decoded is kept.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .contestants import Contestant, check_page, make
from .measure import Sample, median, rotations, timed

__all__ = ["NetworkConfig", "run_network"]

SENDER = "alice@bench.lit"
RECIPIENT = "bob@bench.lit/phone"
TEXT = "Hello from the benchmark: a short chat message"


@dataclass
class NetworkConfig:
    rounds: int = 7
    w1_requests: int = 300  # sequential GETs of a 50-record page per round
    w2_waves: int = 3  # waves of 64 concurrent GETs of a 500-record page per round
    w2_concurrency: int = 64
    w3_requests: int = 300  # sequential POSTs per round
    warmup: int = 50


async def _w1(c: Contestant, cfg: NetworkConfig) -> int:
    for _ in range(cfg.w1_requests):
        check_page(await c.recent("page50@bench.lit", 50), 50)
    return cfg.w1_requests


async def _w2(c: Contestant, cfg: NetworkConfig) -> int:
    decoded = 0
    for _ in range(cfg.w2_waves):
        pages = await asyncio.gather(
            *(c.recent("page500@bench.lit", 500) for _ in range(cfg.w2_concurrency))
        )
        for page in pages:
            check_page(page, 500)
            decoded += len(page)
        del pages
    return decoded


async def _w3(c: Contestant, cfg: NetworkConfig) -> int:
    for _ in range(cfg.w3_requests):
        await c.send(SENDER, RECIPIENT, TEXT)
    return cfg.w3_requests


WORKLOADS = {
    "W1": (_w1, "requests/s", "sequential recent(), 50-record page"),
    "W2": (_w2, "messages/s", "64 concurrent recent(), 500-record pages"),
    "W3": (_w3, "requests/s", "sequential send()"),
}


async def _warm(c: Contestant, cfg: NetworkConfig) -> None:
    for _ in range(cfg.warmup // 10 or 1):
        await c.recent("page500@bench.lit", 500)
    await asyncio.gather(*(c.recent("page1@bench.lit", 1) for _ in range(cfg.w2_concurrency)))
    for _ in range(cfg.warmup):
        await c.recent("page50@bench.lit", 50)
        await c.send(SENDER, RECIPIENT, TEXT)


async def _run(base_url: str, names: list[str], cfg: NetworkConfig) -> dict[str, Any]:
    clients = {name: make(name, base_url, cfg.w2_concurrency) for name in names}
    for c in clients.values():
        await c.open()
    try:
        for c in clients.values():
            await _warm(c, cfg)
        results: dict[str, Any] = {}
        for key, (fn, unit, what) in WORKLOADS.items():
            samples: dict[str, list[Sample]] = {name: [] for name in names}
            units: dict[str, list[int]] = {name: [] for name in names}
            for order in rotations(names, cfg.rounds):
                for name in order:
                    with timed() as sample:
                        done = await fn(clients[name], cfg)
                    samples[name].append(sample)
                    units[name].append(done)
            results[key] = _summarise(key, what, unit, samples, units)
        return results
    finally:
        for c in clients.values():
            await c.close()


def _summarise(
    key: str,
    what: str,
    unit: str,
    samples: dict[str, list[Sample]],
    units: dict[str, list[int]],
) -> dict[str, Any]:
    rows = {}
    for name, rounds in samples.items():
        rates = [n / s.wall for n, s in zip(units[name], rounds, strict=True)]
        cpu_per_unit = [s.cpu / n * 1e6 for n, s in zip(units[name], rounds, strict=True)]
        rows[name] = {
            "rate": median(rates),
            "rates": rates,
            "cpus": cpu_per_unit,
            "cpu_us_per_unit": median(cpu_per_unit),
            "gc": [sum(s.gc[g] for s in rounds) for g in range(3)],
            "rounds": [
                s.as_json() | {"units": n} for n, s in zip(units[name], rounds, strict=True)
            ],
        }
    return {"workload": key, "what": what, "unit": unit, "contestants": rows}


def run_network(base_url: str, names: list[str], cfg: NetworkConfig) -> dict[str, Any]:
    return asyncio.run(_run(base_url, names, cfg))
