"""Reading back what a subscription missed while its stream was down.

:func:`read_gap` pages an archive (the caller's, or a room's) back from its newest message to
an anchor: the newest message of that archive the subscription already accounted for (its
archive id, and its time for when that message is gone). :class:`RoomAnchors` keeps one
anchor per MUC Light room: each room of the caller when the subscription opens, and each
room it hears from later; those rooms are read back (docs/guides/live-messages.rst, "Rooms").
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from .._stanza import StanzaError, message_fields
from ..errors import ApiError, ProtocolError, ServerError, UnauthorizedError
from ..jid import bare
from ..models import ArchivedMessage, IncomingMessage, MessageList
from .sse import archive_id_for

__all__ = ["ListRooms", "ReadPage", "ReadRoomPage", "RoomAnchors", "from_archive", "read_gap"]

log = logging.getLogger("aiomongoose")

# (before_us, limit) -> a GraphQL page of an archive, oldest first, and the limit applied.
ReadPage = Callable[[int | None, int], Awaitable[tuple[MessageList, int | None]]]
# (room, before_us, limit) -> the same for a MUC Light room's archive.
ReadRoomPage = Callable[[str, int | None, int], Awaitable[tuple[MessageList, int | None]]]
# () -> the JIDs of the caller's MUC Light rooms (listUserRooms).
ListRooms = Callable[[], Awaitable[list[str]]]

PAGE = 50
# A live message's routing time and its archive time differ by the time it takes to archive
# it; reading back stops this far below the anchor when the anchor itself is gone.
SKEW_US = 10_000_000


async def read_gap(
    read_page: ReadPage, anchor_id: str | None, anchor_us: int | None
) -> list[ArchivedMessage]:
    """The archive's messages newer than the anchor, newest first (each once)."""
    gap: list[ArchivedMessage] = []
    collected: set[str | None] = set()
    before: int | None = None
    while True:
        page, applied = await read_page(before, PAGE)
        reached, fresh = False, 0
        for record in reversed(page):
            if record.stanza_id == anchor_id or (
                anchor_us is not None and (record.timestamp_us or 0) < anchor_us - SKEW_US
            ):
                reached = True
                break
            if record.stanza_id not in collected:  # `before` is inclusive: repeats
                collected.add(record.stanza_id)
                gap.append(record)
                fresh += 1
        if reached or not page or len(page) < (applied or PAGE) or not fresh:
            return gap
        before = page[0].timestamp_us


class RoomAnchors:
    """The newest message of each MUC Light room that the subscription accounted for."""

    def __init__(
        self, caller: str, read_room_page: ReadRoomPage | None, list_rooms: ListRooms | None = None
    ) -> None:
        self._caller = caller
        self._read = read_room_page
        self._list = list_rooms
        # room (lower case) -> (archive id, time) of its newest message accounted for;
        # (None, None): its archive was empty, so all it holds is new.
        self._anchors: dict[str, tuple[str | None, int | None]] = {}

    async def anchor_all(self) -> None:
        """Where each of the caller's rooms stands as the subscription opens: its newest
        archived message. Without MUC Light (a 4xx), rooms are met as they are heard from;
        a 4xx for one room leaves that room out."""
        if self._read is None or self._list is None:
            return
        try:
            rooms = await self._list()
        except ApiError as exc:
            _raise_unless_gone(exc)
            log.info("subscription of %s: no rooms read (%s)", self._caller, exc)
            return
        for room in rooms:
            try:
                page, _ = await self._read(room, None, 1)
            except ApiError as exc:
                _raise_unless_gone(exc)
                log.info("subscription of %s: room %s not read (%s)", self._caller, room, exc)
                continue
            newest = page[-1] if page else None
            self._anchors[room.lower()] = (
                (newest.stanza_id, newest.timestamp_us) if newest else (None, None)
            )

    def saw(self, message: IncomingMessage, time_us: int) -> None:
        """Account for a live room message that carries the room archive's id."""
        if message.room is not None and message.archive_id is not None:
            self._anchors[message.room.lower()] = (message.archive_id, time_us)

    async def read_back(self) -> tuple[list[tuple[int, IncomingMessage]], RoomAnchors]:
        """Each known room's messages since its anchor, with their times (oldest first
        within a room, unordered across rooms), and the anchors past them, which
        :meth:`take` adopts once the messages are queued: a failure half-way leaves this
        object as it was, so a later read-back covers the whole gap again. A room that
        cannot be read any more (a 4xx: the room is gone, the room category or archive is
        off) is warned about and left out; a server or transport failure raises."""
        found: list[tuple[int, IncomingMessage]] = []
        after = RoomAnchors(self._caller, self._read, self._list)
        if self._read is None:
            return found, after
        for room, (anchor_id, anchor_us) in self._anchors.items():
            try:
                gap = await read_gap(functools.partial(self._read, room), anchor_id, anchor_us)
            except ApiError as exc:
                _raise_unless_gone(exc)
                log.warning(
                    "subscription of %s reconnected, but room %s cannot be read back (%s): "
                    "its messages routed meanwhile are lost",
                    self._caller,
                    room,
                    exc,
                )
                continue
            newest = (gap[0].stanza_id, gap[0].timestamp_us) if gap else (anchor_id, anchor_us)
            after._anchors[room] = newest
            caller = self._caller
            oldest_first = reversed(gap)  # the caller's stable sort keeps ties in this order
            found.extend(
                (r.timestamp_us or 0, from_archive(r, caller, room=True)) for r in oldest_first
            )
        return found, after

    def take(self, other: RoomAnchors) -> None:
        """Adopt the anchors of a completed :meth:`read_back`."""
        self._anchors = other._anchors


def _raise_unless_gone(exc: ApiError) -> None:
    """A 5xx or 401 is the server's or the caller's trouble, not the room's: it raises."""
    if isinstance(exc, (ServerError, UnauthorizedError)):
        raise exc


def from_archive(record: ArchivedMessage, caller: str, *, room: bool = False) -> IncomingMessage:
    """An archived message as the subscription hands it out. Read from the caller's archive
    it keeps the stanza's address and names the caller's archive id; read from a room's
    (``room``), it was sent to the caller as a member and its id is the room archive's."""
    stanza = record.stanza or ""
    try:
        fields = message_fields(stanza)
    except StanzaError as exc:
        where = "a room" if room else caller
        raise ProtocolError(f"an archived stanza of {where} is malformed ({exc})") from None
    if room:
        to, archive_id = bare(caller), record.stanza_id
    else:
        owner = bare(caller).lower()
        to = fields.to or caller
        archive_id = record.stanza_id or archive_id_for(fields.stanza_ids, owner)
    return IncomingMessage(
        sender=record.sender,
        to=to,
        type=fields.type or ("groupchat" if room else "normal"),
        message_id=record.message_id,
        body=record.body,
        stanza=stanza,
        received_at=record.sent_at,
        archive_id=archive_id,
    )
