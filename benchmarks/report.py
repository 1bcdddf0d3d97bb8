"""Ratios to the baseline, the issue's targets, and the printed table."""

from __future__ import annotations

from typing import Any

from .contestants import CONTESTANTS
from .measure import median

__all__ = ["RSS_LIMIT_KIB", "RSS_SAME_KIB", "TARGETS", "format_table", "with_ratios"]

#: aiomongoose / baseline, median of rounds (issue 17; L: issue 14)
TARGETS = {"W1": 1.10, "W2": 1.2, "W3": 1.0, "W4": 1.45, "D": 1.05, "L": 0.8}
#: W4: peak RSS growth must stay under this, and differ by less than RSS_SAME_KIB
#: between the smallest and the largest archive (the same, within allocator noise).
RSS_LIMIT_KIB = 10 * 1024
RSS_SAME_KIB = 2 * 1024

_LABELS = {name: cls.label for name, cls in CONTESTANTS.items()}
_LABELS.update(
    {
        "json+dicts": "json.loads + dicts (floor)",
        "orjson+dicts": "orjson.loads + dicts",
        "cattrs-default": "cattrs default Converter (coerces)",
        "per-record-hooks": "strict cattrs hooks per record (0.1)",
        "aiomongoose": "aiomongoose",
        "aiomongoose-read": "aiomongoose, every record built",
    }
)
_UNIT_NAMES = {"W1": "request", "W2": "message", "W3": "request", "D": "page", "L": "event"}


def target_for(key: str) -> float | None:
    return TARGETS.get(key.split("-")[0])


def with_ratios(result: dict[str, Any]) -> None:
    """Add ``ratio`` to every row, and the verdict for aiomongoose.

    The ratio is the median over rounds of (rate / baseline's rate in the same round): each
    round runs every contestant back to back, so pairing them cancels slow drifts of the
    machine (other processes, CPU frequency) that a ratio of two medians would keep.
    """
    if result.get("kind") == "delay":  # LD: delays, no rates to compare
        return
    rows = result["contestants"]
    base = rows.get(result["baseline"], {}).get("rates")
    base_cpu = rows.get(result["baseline"], {}).get("cpus")
    for row in rows.values():
        pairs = list(zip(row["rates"], base or (), strict=False))
        row["ratio"] = median([mine / theirs for mine, theirs in pairs]) if pairs else None
        # The same for CPU time per unit (theirs / mine: higher is better, like `ratio`).
        cpu_pairs = list(zip(row.get("cpus", ()), base_cpu or (), strict=False))
        row["cpu_ratio"] = (
            median([theirs / mine for mine, theirs in cpu_pairs if mine > 0]) if cpu_pairs else None
        )
    target = target_for(result["workload"])
    mine = rows.get("aiomongoose")
    if target is not None and mine is not None and mine["ratio"] is not None:
        result["target"] = target
        result["met"] = mine["ratio"] >= target


def rss_verdict(results: dict[str, Any]) -> dict[str, Any] | None:
    """W4 memory: aiomongoose's growth under the limit and the same for every size."""
    growth = {
        key: r["contestants"]["aiomongoose"]["rss_growth_kib"]
        for key, r in results.items()
        if key.startswith("W4") and "aiomongoose" in r["contestants"]
    }
    if not growth:
        return None
    spread = max(growth.values()) - min(growth.values())
    return {
        "growth_kib": growth,
        "spread_kib": spread,
        "met": max(growth.values()) < RSS_LIMIT_KIB and spread < RSS_SAME_KIB,
    }


def format_table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"aiomongoose benchmarks: {m['cpu']}, {m['nproc']} CPUs, Python {m['python']}, "
        f"{m['platform']}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
    ]
    for name, why in report["skipped"].items():
        lines.append(f"skipped {name}: {why}")
    for note in report.get("notes", ()):
        lines.append(f"note: {note}")
    for key, result in report["results"].items():
        if result.get("kind") == "delay":
            lines += _delay_table(key, result)
            continue
        labels = {**_LABELS, **result.get("labels", {})}
        unit = result["unit"]
        per = _UNIT_NAMES.get(key, "message")
        is_w4 = key.startswith("W4")
        lines.append("")
        lines.append(f"{key}: {result['what']}")
        header = (
            f"  {'':38} {unit:>12} {'ratio':>7} {'CPU µs/' + per:>15} {'CPU ratio':>9}"
            f" {'gc 0/1/2':>14}"
        )
        if is_w4:
            header += f" {'RSS growth':>11}"
        lines.append(header)
        for name, row in result["contestants"].items():
            ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}×"
            cpu_ratio = "" if row.get("cpu_ratio") is None else f"{row['cpu_ratio']:.2f}×"
            gc = "/".join(str(n) for n in row["gc"])
            line = (
                f"  {labels.get(name, name):38} {row['rate']:>12,.0f} {ratio:>7} "
                f"{row['cpu_us_per_unit']:>15.2f} {cpu_ratio:>9} {gc:>14}"
            )
            if is_w4:
                line += f" {row['rss_growth_kib'] / 1024:>7.1f} MiB"
            lines.append(line)
        if "met" in result:
            verdict = "met" if result["met"] else "MISSED"
            lines.append(f"  target: aiomongoose ≥ {result['target']:.2f}× ({verdict})")
    rss = rss_verdict(report["results"])
    if rss is not None:
        sizes = ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in rss["growth_kib"].items())
        verdict = "met" if rss["met"] else "MISSED"
        lines.append("")
        lines.append(
            f"W4 memory: aiomongoose peak RSS growth {sizes}; target < "
            f"{RSS_LIMIT_KIB // 1024} MiB and the same for every size (±"
            f"{RSS_SAME_KIB // 1024} MiB) ({verdict})"
        )
    load = report.get("loadavg")
    if load:
        shown = " / ".join("?" if x is None else f"{x:.2f}" for x in load)
        lines.append(f"\nload average (1 min) before / after: {shown}")
    lines.append(f"elapsed: {report['elapsed_s']:.0f} s")
    return "\n".join(lines)


def _delay_table(key: str, result: dict[str, Any]) -> list[str]:
    """LD: the delays' median and p90 (no target: see benchmarks/README.md)."""
    labels = {**_LABELS, **result.get("labels", {})}
    lines = ["", f"{key}: {result['what']}"]
    lines.append(
        f"  {'':38} {'median ms':>12} {'p90 ms':>7} {'CPU ms/send':>15} {'CPU p90':>9}"
        f" {'min/max ms':>14} {'sends':>6} {'waited':>6}"
    )
    for name, row in result["contestants"].items():
        span = f"{row['min_ms']:.2f}/{row['max_ms']:.2f}"
        lines.append(
            f"  {labels.get(name, name):38} {row['median_ms']:>12.2f} {row['p90_ms']:>7.2f} "
            f"{row['cpu_median_ms']:>15.2f} {row['cpu_p90_ms']:>9.2f} {span:>14}"
            f" {row['sends']:>6} {row.get('waited', 0):>6}"
        )
    lines.append(
        "  waited: sends whose wall time exceeds the process's CPU time by > 2 ms (waiting"
        " for the CPU); no target"
    )
    return lines
