"""Timing helpers: wall and CPU time, garbage-collector counts, medians, the server process."""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "GcCounter",
    "Sample",
    "machine",
    "median",
    "rotations",
    "server_process",
    "timed",
]

ROOT = Path(__file__).resolve().parent.parent


class GcCounter:
    """Counts the collections of each generation while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            self.counts[info["generation"]] += 1

    def __enter__(self) -> GcCounter:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


class Sample:
    """One timed round of one contestant: wall seconds, CPU seconds, GC collections."""

    __slots__ = ("wall", "cpu", "gc")

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.gc = [0, 0, 0]

    def as_json(self) -> dict[str, Any]:
        return {"wall_s": self.wall, "cpu_s": self.cpu, "gc": list(self.gc)}


@contextmanager
def timed() -> Iterator[Sample]:
    """Time a block after dropping the previous round's garbage (``gc.collect()`` first)."""
    sample = Sample()
    gc.collect()
    with GcCounter() as counter:
        cpu = time.process_time()
        wall = time.perf_counter()
        yield sample
        sample.wall = time.perf_counter() - wall
        sample.cpu = time.process_time() - cpu
    sample.gc = counter.counts


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rotations(names: list[str], rounds: int) -> Iterator[list[str]]:
    """Round r runs every contestant once, starting with the r-th: A B C D, B C D A, ..."""
    for r in range(rounds):
        k = r % len(names)
        yield names[k:] + names[:k]


@contextmanager
def server_process() -> Iterator[str]:
    """Start :mod:`benchmarks.server` in its own process; yield its base URL."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}/api"
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the server exits on EOF
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def machine() -> dict[str, Any]:
    """What the figures came from."""
    import platform

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "nproc": os.cpu_count(),
        "cpu": "unknown",
    }
    try:
        info["nproc"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for module in ("aiohttp", "httpx", "orjson", "attrs", "cattrs", "aiomongoose"):
        try:
            versions[module] = version(module)
        except PackageNotFoundError:
            versions[module] = None
    info["versions"] = versions
    return info
