"""L and LD: live messages, a GraphQL subscription over Server-Sent Events (issue 14).

**L** (events/s): every contestant reads the first ``events`` events of a stream that the
benchmark server (its own process) writes as fast as the client takes them, from
precomputed bytes: ``aiohttp-json`` is the floor (a hand-written line reader:
``async for line in resp.content``, ``json.loads`` of every ``data:`` line), the others are
the same reader with orjson, httpx's ``aiter_lines()``, and ``client.messages.subscribe()``
(``api="graphql"``) with ``await anext(incoming)`` per event: a frozen ``IncomingMessage``
with the stanza parsed (sender, recipient, type, id, body, archive id) and the timestamp
read into an aware ``datetime``. A round opens the stream, reads the events and closes it;
for aiomongoose that includes the one ``getLastMessages`` a subscription asks when it
starts (a few hundred µs in a round of ~20,000 events). Rounds are interleaved as in
:mod:`benchmarks.network`.

**LD** (delay): on the in-process fake server (:class:`aiomongoose.testing.FakeMongooseIM`,
GraphQL), a bot is subscribed and alice sends it a message with
``client.messages.send(Message(alice, bot, body))``; the delay is the time from calling
``send()`` to the message coming out of the subscription (``anext``). The sends are
sequential, ``sends`` per round; every delay of every round counts in the median and p90.
The second row reads the same stream with the raw line reader (an async generator over
``resp.content`` with ``json.loads``), so the difference between the rows is what
``subscribe()`` adds. Client and fake server share one event loop, so the figure is mostly
the fake server's own work (GraphQL execution of the send, routing, the event's execution)
and the loopback round trip: a real server's delay adds its own, unrelated, work. The
process's CPU time per send is shown too: a delay far above it is time spent waiting for
the CPU (another process's time slice on a busy machine), not work.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from .contestants import SSE_HEADERS, basic_auth, make, sse_params
from .data import stanza_id
from .measure import Sample, median, rotations, timed
from .network import _summarise

__all__ = ["DelayConfig", "LiveConfig", "run_delay", "run_live"]

LABELS = {
    "aiohttp-json": "raw aiohttp lines + json.loads",
    "aiohttp-orjson": "raw aiohttp lines + orjson",
    "httpx": "httpx aiter_lines() + json.loads",
    "aiomongoose": "aiomongoose subscribe()",
}


@dataclass
class LiveConfig:
    rounds: int = 7
    events: int = 20_000  # events read per round and contestant
    warmup: int = 2_000


@dataclass
class DelayConfig:
    rounds: int = 5
    sends: int = 40  # sequential sends per round and contestant (5 x 40 = 200 delays)
    warmup: int = 10


def _caller(n: int) -> str:
    return f"stream{n}@bench.lit"


async def _run_live(base_url: str, names: list[str], cfg: LiveConfig) -> dict[str, Any]:
    clients = {name: make(name, base_url) for name in names}
    for c in clients.values():
        await c.open()
    expected = stanza_id(cfg.events - 1)
    try:
        for c in clients.values():
            await c.listen(_caller(cfg.warmup), cfg.warmup)
        samples: dict[str, list[Sample]] = {name: [] for name in names}
        units: dict[str, list[int]] = {name: [] for name in names}
        for order in rotations(names, cfg.rounds):
            for name in order:
                with timed() as sample:
                    last = await clients[name].listen(_caller(cfg.events), cfg.events)
                if last != expected:
                    raise AssertionError(f"{name}: last event {last!r}, expected {expected!r}")
                samples[name].append(sample)
                units[name].append(cfg.events)
    finally:
        for c in clients.values():
            await c.close()
    what = f"{cfg.events:,} events of a GraphQL subscription over SSE per round"
    result = _summarise("L", what, "events/s", samples, units)
    result["labels"] = {name: LABELS[name] for name in names if name in LABELS}
    return result


def run_live(base_url: str, names: list[str], cfg: LiveConfig) -> dict[str, Any]:
    return asyncio.run(_run_live(base_url, names, cfg))


# -- LD: the delay from send() to subscribe() on the fake server ---------------------------

BOT = "bot@wonderland.lit"
ALICE = "alice@wonderland.lit"
_FAKE_AUTH = ("admin", "secret")


async def _raw_events(resp: Any) -> AsyncIterator[dict[str, Any]]:
    async for line in resp.content:
        if line.startswith(b"data:"):
            yield json.loads(line[5:])["data"]["stanza"]["subscribeForMessages"]


async def _delays(
    name: str, server: Any, client: Any, session: Any, sends: int, tag: str
) -> list[tuple[float, float]]:
    """``sends`` sequential sends from alice to the bot: seconds from ``send()`` to arrival,
    wall clock and CPU (the process's, so the fake server's work included)."""
    from aiomongoose import Message

    delays = []
    if name == "aiomongoose":
        context: Any = client.messages.subscribe(BOT)
    else:
        context = session.get(
            f"{server.url}/graphql/sse", params=sse_params(BOT), headers=SSE_HEADERS
        )
    async with context as stream:
        if name == "aiomongoose":
            incoming: Any = stream
            body_of = _body_of_message
        else:
            if stream.status != 200:
                raise RuntimeError(f"GET /graphql/sse: {stream.status}")
            incoming = _raw_events(stream)
            body_of = _body_of_event
        await server.wait_for_sse_sessions(1, BOT)
        for i in range(sends):
            body = f"{tag} {i}: how long does this take?"
            started, cpu = time.perf_counter(), time.process_time()
            await client.messages.send(Message(ALICE, BOT, body))
            got = await asyncio.wait_for(anext(incoming), 10)
            delays.append((time.perf_counter() - started, time.process_time() - cpu))
            if body_of(got) != body:
                raise AssertionError(f"{name}: got {got!r}, expected the body {body!r}")
        if name != "aiomongoose":
            await incoming.aclose()
    return delays


def _body_of_message(item: Any) -> Any:
    return item.body


def _body_of_event(item: Any) -> Any:
    stanza = item["stanza"]
    return stanza[stanza.index("<body>") + 6 : stanza.index("</body>")]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.9: p90)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


async def _run_delay(cfg: DelayConfig) -> dict[str, Any]:
    import aiohttp

    from aiomongoose import AdminClient
    from aiomongoose.testing import FakeMongooseIM

    names = ["aiomongoose", "aiohttp-json"]
    token = basic_auth(*_FAKE_AUTH)
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    async with FakeMongooseIM(auth=_FAKE_AUTH, max_result_limit=500) as server:
        server.add_user(BOT)
        server.add_user(ALICE)
        async with (
            AdminClient(server.url, auth=_FAKE_AUTH, api="graphql") as client,
            aiohttp.ClientSession(headers={"Authorization": token}) as session,
        ):
            for name in names:
                await _delays(name, server, client, session, cfg.warmup, "warm-up")
            for r, order in enumerate(rotations(names, cfg.rounds)):
                for name in order:
                    gc.collect()
                    found[name] += await _delays(
                        name, server, client, session, cfg.sends, f"round {r}"
                    )
    rows = {}
    for name, pairs in found.items():
        delays = [wall * 1e3 for wall, _ in pairs]
        rows[name] = {
            "median_ms": median(delays),
            "p90_ms": percentile(delays, 0.9),
            "min_ms": min(delays),
            "max_ms": max(delays),
            "cpu_median_ms": median([cpu * 1e3 for _, cpu in pairs]),
            "cpu_p90_ms": percentile([cpu * 1e3 for _, cpu in pairs], 0.9),
            # sends whose wall time exceeds their CPU time by 2 ms: the process waited for
            # the CPU (a time slice of another process), which no client code causes
            "waited": sum(1 for wall, cpu in pairs if wall - cpu > 0.002),
            "sends": len(delays),
            "delays_ms": delays,
            "cpus_ms": [cpu * 1e3 for _, cpu in pairs],
        }
    return {
        "workload": "LD",
        "kind": "delay",
        "what": (
            "delay from send() to arrival through the subscription, in-process fake server "
            f"(GraphQL), {cfg.rounds} rounds x {cfg.sends} sequential sends"
        ),
        "unit": "ms",
        "labels": {
            "aiomongoose": "aiomongoose subscribe()",
            "aiohttp-json": "raw aiohttp lines + json.loads",
        },
        "contestants": rows,
    }


def run_delay(cfg: DelayConfig) -> dict[str, Any]:
    return asyncio.run(_run_delay(cfg))
