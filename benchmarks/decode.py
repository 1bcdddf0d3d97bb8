"""D: decode one 500-record page, no network; decoders interleaved, medians of rounds.

* ``json+dicts`` (the floor): ``json.loads`` into plain dicts, no checks at all.
* ``orjson+dicts``: ``orjson.loads`` into plain dicts, no checks.
* ``cattrs-default``: what cattrs gives without care: ``json.loads`` and
  ``cattrs.Converter().structure(data, list[ArchivedMessage])`` (coerces, does not check).
* ``per-record-hooks``: aiomongoose's strict converter applied record by record, the path
  before the per-page fast path (kept in the library to report errors).
* ``aiomongoose``: ``aiomongoose._codec.parse_archive``, the function every page goes
  through: JSON text to a ``MessageList`` of ``ArchivedMessage`` with strict type checks
  (every record checked; the records themselves are built on first access).
* ``aiomongoose-read``: the same, then one record read, which builds all of them: what
  a caller who reads the page pays.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .data import fixed_page
from .measure import Sample, median, rotations, timed

__all__ = ["DecodeConfig", "decoders", "run_decode"]

BASELINE = "json+dicts"


@dataclass
class DecodeConfig:
    rounds: int = 9
    records: int = 500
    min_round_s: float = 0.15  # each round decodes the page this long (at least 3 times)


def decoders() -> dict[str, Callable[[bytes], Any]]:
    import cattrs

    from aiomongoose._codec import CONVERTER, parse_archive
    from aiomongoose.models import ArchivedMessage, MessageList

    found: dict[str, Callable[[bytes], Any]] = {BASELINE: json.loads}
    try:
        import orjson

        found["orjson+dicts"] = orjson.loads
    except ImportError:
        pass

    default = cattrs.Converter()
    default_hook = default.get_structure_hook(list[ArchivedMessage])

    def cattrs_default(body: bytes) -> Any:
        return default_hook(json.loads(body), list[ArchivedMessage])

    strict_hook = CONVERTER.get_structure_hook(ArchivedMessage)
    from aiomongoose._codec import loads

    def per_record_hooks(body: bytes) -> Any:
        data = loads(body)
        return MessageList([strict_hook(item, ArchivedMessage) for item in data])

    found["cattrs-default"] = cattrs_default
    found["per-record-hooks"] = per_record_hooks
    found["aiomongoose"] = parse_archive

    def read_every_record(body: bytes) -> Any:
        # parse_archive checks the whole page but builds the records on first access:
        # this row pays for building them too, as a caller who reads them all does.
        page = parse_archive(body)
        page[0]
        return page

    found["aiomongoose-read"] = read_every_record
    return found


def _calibrate(fn: Callable[[bytes], Any], body: bytes, seconds: float) -> int:
    n = 1
    while True:
        started = time.perf_counter()
        for _ in range(n):
            fn(body)
        if time.perf_counter() - started >= seconds / 4:
            return max(3, int(n * seconds / (time.perf_counter() - started)))
        n *= 2


def run_decode(cfg: DecodeConfig) -> dict[str, Any]:
    body = fixed_page(cfg.records)
    fns = decoders()
    for fn in fns.values():  # every decoder decodes the same records
        assert len(fn(body)) == cfg.records
    loops = {name: _calibrate(fn, body, cfg.min_round_s) for name, fn in fns.items()}
    samples: dict[str, list[Sample]] = {name: [] for name in fns}
    for order in rotations(list(fns), cfg.rounds):
        for name in order:
            fn, n = fns[name], loops[name]
            with timed() as sample:
                for _ in range(n):
                    fn(body)
            samples[name].append(sample)
    rows = {}
    for name, rounds in samples.items():
        n = loops[name]
        rates = [n * cfg.records / s.wall for s in rounds]
        cpus = [s.cpu / n * 1e6 for s in rounds]
        rows[name] = {
            "rate": median(rates),
            "rates": rates,
            "cpus": cpus,
            "cpu_us_per_unit": median(cpus),
            "gc": [sum(s.gc[g] for s in rounds) for g in range(3)],
            "rounds": [s.as_json() | {"units": n * cfg.records} for s in rounds],
        }
    return {
        "workload": "D",
        "what": f"decode a {cfg.records}-record page ({len(body)} bytes)",
        "unit": "records/s",
        "baseline": BASELINE,
        "contestants": rows,
    }
