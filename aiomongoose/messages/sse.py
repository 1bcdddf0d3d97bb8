"""Live messages over GraphQL's Server-Sent Events (MongooseIM 6.0+), pure.

The subscription document and its query string, an incremental decoder for the subset of
SSE that MongooseIM writes (``id:`` and ``data:`` lines, a blank line ends an event), and
the reading of one event into an :class:`~aiomongoose.models.IncomingMessage`
(docs/server-behaviour.md, "Subscriptions over SSE").
"""

from __future__ import annotations

from .._codec import dumps
from .._graphql import check, operation_result
from .._stanza import StanzaError, message_fields
from .._time import parse_datetime
from ..errors import ProtocolError
from ..jid import bare
from ..models import IncomingMessage

__all__ = ["SUBSCRIBE", "EventDecoder", "archive_id_for", "parse_event", "subscribe_query"]

SUBSCRIBE = (
    "subscription Incoming($caller: JID!) "
    "{ stanza { subscribeForMessages(caller: $caller) { sender timestamp stanza_id stanza } } }"
)

# One event larger than this is not what MongooseIM sends (a message stanza of a few
# hundred KiB at most): refuse it rather than grow without bound.
MAX_EVENT_BYTES = 16 * 1024 * 1024


def subscribe_query(caller: str) -> dict[str, str]:
    """The query string of ``GET {base}/graphql/sse``: document, variables, operation."""
    variables = dumps({"caller": caller}).decode()
    return {"query": SUBSCRIBE, "variables": variables, "operationName": "Incoming"}


class EventDecoder:
    """Bytes of the stream in, the ``data`` of each complete event out.

    Holds at most one partial event; ``id:``, ``event:``, ``retry:`` and comment lines are
    read past (MongooseIM replays nothing, so an event id is of no use after a reconnect).
    """

    def __init__(self) -> None:
        self._partial = b""
        self._data: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """The events that ``chunk`` completes, oldest first."""
        events: list[bytes] = []
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for raw in lines:
            line = raw[:-1] if raw.endswith(b"\r") else raw
            if not line:
                if self._data:
                    events.append(b"\n".join(self._data))
                    self._data, self._size = [], 0
                continue
            field, _, value = line.partition(b":")
            if field == b"data":
                value = value[1:] if value.startswith(b" ") else value
                self._data.append(value)
                self._size += len(value)
        if self._size + len(self._partial) > MAX_EVENT_BYTES:
            raise ProtocolError(f"an event of the stream exceeds {MAX_EVENT_BYTES} bytes")
        return events


def parse_event(data: bytes, caller: str, *, url: str, owner: str | None = None) -> IncomingMessage:
    """One event's GraphQL response as the message it carries. ``errors`` raise the
    matching :class:`~aiomongoose.errors.ApiError`; anything malformed raises
    :class:`ProtocolError`. ``owner``: the caller's bare JID in lower case, when known."""
    result = operation_result(
        check(200, data, method="GET", url=url), "stanza", "subscribeForMessages", 200, data
    )
    if not isinstance(result, dict):
        raise ProtocolError("an event without a message", status=200, body=data)
    sender, timestamp, stanza = result.get("sender"), result.get("timestamp"), result.get("stanza")
    if type(sender) is not str or type(stanza) is not str:
        raise ProtocolError("an event's sender and stanza must be strings", status=200, body=data)
    try:
        received_at = parse_datetime(timestamp)
        fields = message_fields(stanza)
    except (TypeError, ValueError, StanzaError) as exc:
        raise ProtocolError(f"malformed event ({exc})", status=200, body=data) from None
    archive_id = None
    if fields.stanza_ids:  # a room message names the room's archive, others the caller's
        by = bare(sender).lower() if fields.type == "groupchat" else owner or bare(caller).lower()
        archive_id = archive_id_for(fields.stanza_ids, by)
    return IncomingMessage(
        sender=sender,
        to=fields.to,
        type=fields.type or "normal",
        message_id=fields.id,
        body=fields.body,
        stanza=stanza,
        received_at=received_at,
        archive_id=archive_id,
    )


def archive_id_for(stanza_ids: dict[str, str], owner: str) -> str | None:
    """The id that ``owner``'s archive gave the message (``<stanza-id by=owner/>``);
    ``owner`` is a bare JID in lower case: the caller's, or a room's."""
    for by, archive_id in stanza_ids.items():
        if by.lower() == owner and archive_id:
            return archive_id
    return None
