"""Synthetic MongooseIM archive data: record pages and an arithmetic archive of N messages.

Everything is computed, nothing is stored per message, so an archive of 1,000,000 messages
costs the server no memory. Message ``i`` (0 = oldest) was archived at
``START_US + i * STEP_US`` microseconds; the server reports seconds rounded half up and
selects with the real ``before``/``limit`` rules (see ``docs/server-behaviour.md``):
``time <= before * 10**6`` (inclusive), the newest ``limit`` matches, oldest first.
"""

from __future__ import annotations

import json

__all__ = [
    "OWNER",
    "PEER",
    "STEP_US",
    "START_US",
    "archive_page",
    "fixed_page",
    "page_indices",
    "record",
    "reported_second",
]

OWNER = "alice@bench.lit"
PEER = "bob@bench.lit"
# 4 messages a second at .137, .387, .637 and .887: the reported seconds straddle the
# rounding boundary, and any ~1.5 s window holds 6 messages, far less than a page.
START_US = 1_600_000_000_137_000
STEP_US = 250_000

_SENDERS = (f"{OWNER}/phone", PEER)
# One stanza in 25 has no <body>: the server reports the string "undefined".
_BODY_EVERY = 25
_TEMPLATE = '{"sender":"%s","timestamp":%d,"message_id":"%08x-bench","body":%s}'


def reported_second(time_us: int) -> int:
    """The server's ``timestamp``: microseconds to seconds, rounded half up."""
    return (time_us + 500_000) // 1_000_000


def record(i: int) -> str:
    """Message ``i`` of the synthetic archive as the server's JSON text."""
    body = '"undefined"' if i % _BODY_EVERY == 0 else f'"message {i} of the synthetic archive"'
    ts = reported_second(START_US + i * STEP_US)
    return _TEMPLATE % (_SENDERS[i & 1], ts, i, body)


def page_indices(total: int, before: int | None, limit: int) -> range:
    """Indices (oldest first) of the page for ``before`` (inclusive seconds) and ``limit``."""
    if before is None:
        newest = total - 1
    else:
        newest = min(total - 1, (before * 1_000_000 - START_US) // STEP_US)
    if newest < 0 or limit <= 0:
        return range(0)
    return range(max(0, newest - limit + 1), newest + 1)


def archive_page(total: int, before: int | None, limit: int) -> bytes:
    """The JSON body answering ``GET /messages/{owner}?before=...&limit=...``."""
    return ("[" + ",".join(map(record, page_indices(total, before, limit))) + "]").encode()


def fixed_page(size: int) -> bytes:
    """A page of the ``size`` newest messages of a large archive (for W1, W2 and D)."""
    body = archive_page(1_000_000, None, size)
    json.loads(body)  # always valid JSON
    return body
