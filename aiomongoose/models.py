"""The values that aiomongoose sends and returns. They carry no wire format: see ``_converter``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, overload

import attrs

from ._time import from_microseconds
from ._validate import body_text
from .jid import validate_jid

__all__ = [
    "ArchivedMessage",
    "GraphQLArchivedMessage",
    "IncomingMessage",
    "Message",
    "MessageList",
]


def _caller(_: object, __: attrs.Attribute[str], value: str) -> None:
    validate_jid(value, "caller")


def _to(_: object, __: attrs.Attribute[str], value: str) -> None:
    validate_jid(value, "to")


def _body(_: object, __: attrs.Attribute[str], value: str) -> None:
    body_text(value)


@attrs.frozen
class Message:
    """A one-to-one chat message to send: from ``caller`` (a local user) to ``to``.

    Both JIDs are checked when the message is built (:class:`~aiomongoose.errors.InvalidJIDError`).
    """

    caller: str = attrs.field(validator=_caller)
    to: str = attrs.field(validator=_to)
    body: str = attrs.field(validator=_body)


@attrs.frozen(slots=True, cache_hash=False, repr=False)
class ArchivedMessage:
    """One message of a user's archive.

    ``timestamp`` is whole Unix seconds, rounded half up by the server: the message was
    archived somewhere in ``[timestamp - 0.5 s, timestamp + 0.5 s)``. ``message_id`` is the
    stanza's ``id`` attribute: it may be ``""`` and it is not unique. ``body`` is ``None`` for
    a stanza without a body (REST reports those as the string ``"undefined"``, so a message
    whose text is literally ``undefined`` also reads as ``None`` there).

    ``stanza_id``, ``stanza`` and ``timestamp_us`` are only known on GraphQL, whose records
    are :class:`GraphQLArchivedMessage`, a subclass; here they are ``None``. (A REST record
    carries four slots, not seven: filling three always-empty fields per message cost a
    sixth of the decoding time.)
    """

    sender: str
    timestamp: int
    message_id: str
    body: str | None

    @property
    def stanza_id(self) -> str | None:
        """The archive's unique id of the message (GraphQL only)."""
        return None

    @property
    def stanza(self) -> str | None:
        """The archived XML stanza (GraphQL only)."""
        return None

    @property
    def timestamp_us(self) -> int | None:
        """The archive's time in Unix microseconds (GraphQL only)."""
        return None

    def __repr__(self) -> str:
        # One name for both kinds; the GraphQL-only fields appear when set, the stanza short.
        text = (
            f"ArchivedMessage(sender={self.sender!r}, timestamp={self.timestamp!r}, "
            f"message_id={self.message_id!r}, body={self.body!r}"
        )
        if self.stanza_id is not None:
            text += f", stanza_id={self.stanza_id!r}"
        if self.stanza is not None:
            shown = self.stanza if len(self.stanza) <= 60 else self.stanza[:60] + "..."
            text += f", stanza={shown!r}"
        if self.timestamp_us is not None:
            text += f", timestamp_us={self.timestamp_us!r}"
        return text + ")"

    @property
    def room(self) -> str:
        """``sender`` up to its first ``/``: in a room archive (``client.rooms``), the
        room's bare JID; in a one-to-one archive, the author's bare JID."""
        return self.sender.partition("/")[0]

    @property
    def author(self) -> str | None:
        """``sender`` after its first ``/`` (``None`` without one): in a room archive, the
        author's bare JID (MUC Light) or nickname (MUC; a nickname may itself hold ``/``
        and ``@``, hence the split on the first ``/``); in a one-to-one archive, the
        author's resource."""
        room, slash, author = self.sender.partition("/")
        return author if slash else None

    @property
    def sent_at(self) -> datetime:
        """When it was archived, as an aware UTC datetime: to the microsecond when the
        backend reports it (GraphQL), else the whole second of ``timestamp``."""
        if self.timestamp_us is not None:
            return from_microseconds(self.timestamp_us)
        return datetime.fromtimestamp(self.timestamp, timezone.utc)


@attrs.frozen(slots=True, cache_hash=False, repr=False)
class GraphQLArchivedMessage(ArchivedMessage):
    """An :class:`ArchivedMessage` read through GraphQL, with the fields only it reports."""

    stanza_id: str | None = None
    stanza: str | None = None
    timestamp_us: int | None = None


@attrs.frozen(slots=True)
class IncomingMessage:
    """A message routed to a subscribed user, as it arrived
    (:meth:`~aiomongoose.messages.Messages.subscribe`).

    ``sender`` is the author's JID (with its resource when it had one) and ``to`` the
    address it was sent to; ``type`` is the stanza's ``type`` (``"normal"`` when absent);
    ``message_id`` its ``id`` attribute (may be ``""``, not unique); ``body`` is ``None``
    without a ``<body>``; ``stanza`` is the XML. ``received_at`` is when the server routed
    it (microseconds; over REST polling, when it was archived). ``archive_id`` is the
    ``stanza_id`` that the archive holding it reports for the same message: the caller's
    (``getLastMessages``), or for a room message the room's (``client.rooms.recent()``);
    ``None`` when the server did not archive it (no body, a headline, archiving off).

    A message from a MUC Light room the caller is a member of has the type
    ``"groupchat"`` and the sender ``room@service/<author's bare JID>``: :attr:`room` and
    :attr:`author` split it.
    """

    sender: str
    to: str
    type: str
    message_id: str
    body: str | None
    stanza: str
    received_at: datetime
    archive_id: str | None = None

    @property
    def room(self) -> str | None:
        """The room's bare JID for a ``groupchat`` message, else ``None``."""
        return self.sender.partition("/")[0] if self.type == "groupchat" else None

    @property
    def author(self) -> str | None:
        """Who wrote a ``groupchat`` message: the resource of :attr:`sender` (MUC Light:
        the author's bare JID; MUC: the nick, which may contain ``/``), else ``None``."""
        return self.sender.partition("/")[2] if self.type == "groupchat" else None


class MessageList(Sequence[ArchivedMessage]):
    """An immutable sequence of :class:`ArchivedMessage` in the server's order, oldest first.

    A page decoded from REST is checked whole when it arrives (every record, every field:
    a malformed one raises :class:`~aiomongoose.errors.ProtocolError` then), but its
    records are built on first access to them, all at once and once: ``len()`` of a page
    costs no objects, and the same object comes back for the same index every time.
    """

    __slots__ = ("_items", "_columns")

    def __init__(self, items: Sequence[ArchivedMessage] = ()) -> None:
        self._items: tuple[ArchivedMessage, ...] | None = tuple(items)
        # The page's checked fields (sender, timestamp, message_id, body), until _items is
        # built from them (see _codec.parse_archive); then only the timestamps are kept.
        self._columns: tuple[list[Any], ...] | None = None

    @classmethod
    def _of_columns(cls, columns: tuple[list[Any], ...]) -> MessageList:
        """A page of records not built yet: ``columns`` are checked ``_codec`` columns."""
        page = cls.__new__(cls)
        page._items = None
        page._columns = columns
        return page

    def _records(self) -> tuple[ArchivedMessage, ...]:
        items = self._items
        if items is None:
            from ._codec import _build  # here: _codec imports this module

            columns = self._columns
            assert columns is not None and len(columns) == 4
            items = self._items = _build((columns[0], columns[1], columns[2], columns[3]))
            self._columns = (columns[1],)
        return items

    def _timestamps(self) -> Sequence[int]:
        """Every record's ``timestamp``, oldest first, without building the records."""
        columns = self._columns
        if columns is not None:
            return columns[0] if len(columns) == 1 else columns[1]
        return [record.timestamp for record in self._records()]

    @overload
    def __getitem__(self, index: int) -> ArchivedMessage: ...

    @overload
    def __getitem__(self, index: slice) -> MessageList: ...

    def __getitem__(self, index: int | slice) -> ArchivedMessage | MessageList:
        items = self._items if self._items is not None else self._records()
        if isinstance(index, slice):
            return MessageList(items[index])
        return items[index]

    def __len__(self) -> int:
        items = self._items
        if items is None:
            assert self._columns is not None
            return len(self._columns[0])
        return len(items)

    def __iter__(self) -> Iterator[ArchivedMessage]:
        return iter(self._items if self._items is not None else self._records())

    def __reversed__(self) -> Iterator[ArchivedMessage]:
        return reversed(self._items if self._items is not None else self._records())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MessageList):
            return self._records() == other._records()
        if isinstance(other, (list, tuple)):
            return list(self._records()) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._records())

    def __repr__(self) -> str:
        return f"MessageList({list(self._records())!r})"
