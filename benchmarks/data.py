"""Synthetic MongooseIM archive data: record pages and an arithmetic archive of N messages.

Everything is computed, nothing is stored per message, so an archive of 1,000,000 messages
costs the server no memory. Message ``i`` (0 = oldest) was archived at
``START_US + i * STEP_US`` microseconds; the server reports seconds rounded half up and
selects with the real ``before``/``limit`` rules (see ``docs/server-behaviour.md``):
``time <= before * 10**6`` (inclusive), the newest ``limit`` matches, oldest first.
"""

from __future__ import annotations

import datetime
import json

__all__ = [
    "OWNER",
    "PEER",
    "STEP_US",
    "START_US",
    "STREAM_SENDER",
    "archive_id",
    "archive_page",
    "event_stream",
    "fixed_page",
    "live_event",
    "page_indices",
    "record",
    "reported_second",
    "rfc3339_us",
    "stanza_id",
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


# -- live messages (workload L): the events of a GraphQL subscription over SSE ---------------

STREAM_SENDER = f"{OWNER}/phone"
_EVENT = (
    '{"data":{"stanza":{"subscribeForMessages":{"sender":"%s","stanza":"%s",'
    '"stanza_id":"%s","timestamp":"%s"}}}}'
)
_STANZA = (
    "<message from='%s' id='%s' to='%s' type='chat'><body>%s</body>"
    "<stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='%s'/></message>"
)
_BASE32 = "0123456789ABCDEFGHIJKLMNOPQRSTUV"


def rfc3339_us(time_us: int) -> str:
    """``2020-09-13T12:26:40.137000Z``: how the GraphQL API writes a ``DateTime``."""
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=time_us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stanza_id(i: int) -> str:
    """The id attribute of live message ``i`` (16 hex digits, like the server's)."""
    return f"{0x17A6_0000_0000_0000 + i * 7919:016x}"


def archive_id(i: int) -> str:
    """The archive id of live message ``i``: base-32 digits, like MongooseIM's MAM ids."""
    n = (START_US + i * STEP_US) << 8
    digits = ""
    while n:
        n, d = divmod(n, 32)
        digits = _BASE32[d] + digits
    return digits


def live_event(i: int, caller: str) -> bytes:
    """The ``data`` of event ``i`` of ``caller``'s subscription: a whole GraphQL response,
    compact, with the ``<stanza-id>`` child of a message archived for the caller."""
    body = f"message {i} of the live stream, a short chat line"
    sid = stanza_id(i)
    stanza = _STANZA % (STREAM_SENDER, sid, caller, body, caller, archive_id(i))
    ts = rfc3339_us(START_US + i * STEP_US)
    text = _EVENT % (STREAM_SENDER, stanza, sid, ts)
    return text.encode()


def event_stream(caller: str, n: int) -> bytes:
    """``n`` events as MongooseIM writes them (``id: i``, ``data: ...``, a blank line), each
    in its own HTTP/1.1 chunk, then the last chunk."""
    chunks = []
    for i in range(n):
        event = b"id: %d\ndata: %s\n\n" % (i + 1, live_event(i, caller))
        chunks.append(b"%x\r\n%s\r\n" % (len(event), event))
    chunks.append(b"0\r\n\r\n")
    return b"".join(chunks)
