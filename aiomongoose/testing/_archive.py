"""The in-memory message archive, and the page selection as the server computes it.

Each owner's archive is kept sorted by ``(time_us, insertion sequence)`` in two parallel
lists (times and messages), plus one such timeline per peer for the ``with`` filter. Adding
in time order is an append; adding out of order is a ``bisect.insort``. A page is two
bisects and a slice: O(log n + page size), whatever the archive size. A page filtered on a
full JID (GraphQL ``with``) walks back from ``before`` through that peer's timeline.

Every message gets a unique archive id, ``time_us << 8 | node`` as MongooseIM's MAM makes
them; both archives of a message share it (and so the GraphQL ``stanza_id``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

import attrs

from ._jid import ParsedJID, parse_jid
from ._xmpp import render_stanza, stanza_id_text

__all__ = ["Archive", "StoredMessage", "Timeline", "round_half_up"]

_US = 1_000_000


def round_half_up(time_us: int) -> int:
    """Whole seconds of a microsecond time, rounded half up, as the server reports them."""
    return (time_us + _US // 2) // _US


@attrs.frozen(slots=True)
class StoredMessage:
    """One archived message, as the fake server keeps it.

    ``time_us`` is the archive's microsecond time; ``seq`` the global insertion order that
    breaks ties between equal times. ``sender`` and ``recipient`` are the JIDs as written
    (the sender keeps its resource). ``body`` is ``None`` for a bodyless stanza and
    ``message_id`` may be ``""``. ``mam_id`` is the archive's integer id,
    ``time_us << 8 | node`` (see :attr:`stanza_id`). ``type`` is the stanza's ``type``
    attribute (``None``: none, a "normal" message).
    """

    time_us: int
    seq: int
    sender: str
    recipient: str
    message_id: str
    body: str | None
    mam_id: int = 0
    type: str | None = "chat"

    @property
    def stanza_id(self) -> str:
        """The GraphQL ``stanza_id``: :attr:`mam_id` in base 32 (unique in the archive)."""
        return stanza_id_text(self.mam_id)

    @property
    def stanza(self) -> str:
        """The GraphQL ``stanza``: the archived ``<message/>`` XML."""
        return render_stanza(self.sender, self.recipient, self.message_id, self.body, self.type)

    @property
    def timestamp(self) -> int:
        """The reported ``timestamp``: ``time_us`` in seconds, rounded half up."""
        return round_half_up(self.time_us)

    def to_record(self) -> dict[str, object]:
        """The JSON object the REST API returns for this message (``body`` None -> "undefined")."""
        return {
            "sender": self.sender,
            "timestamp": round_half_up(self.time_us),
            "message_id": self.message_id,
            "body": "undefined" if self.body is None else self.body,
        }


def _peer_resource(message: StoredMessage, owner_key: str) -> str:
    sender = parse_jid(message.sender)
    outgoing = sender is not None and sender.key == owner_key
    peer = parse_jid(message.recipient if outgoing else message.sender)
    return "" if peer is None else peer.resource


class Timeline:
    """Messages in archive order (time, then insertion), with their times beside them."""

    __slots__ = ("times", "items")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.items: list[StoredMessage] = []

    def add(self, message: StoredMessage) -> None:
        t = message.time_us
        if not self.times or self.times[-1] <= t:
            self.times.append(t)
            self.items.append(message)
        else:
            # Equal times keep insertion order: a later insertion goes after them.
            at = bisect_right(self.times, t)
            self.times.insert(at, t)
            self.items.insert(at, message)

    def newest(self, before_us: int | None, limit: int) -> list[StoredMessage]:
        hi = len(self.times) if before_us is None else bisect_right(self.times, before_us)
        return self.items[max(0, hi - limit) : hi]

    def newest_matching(
        self, before_us: int | None, limit: int, keep: Callable[[StoredMessage], bool]
    ) -> list[StoredMessage]:
        hi = len(self.times) if before_us is None else bisect_right(self.times, before_us)
        found: list[StoredMessage] = []
        for at in range(hi - 1, -1, -1):
            if len(found) >= limit:
                break
            if keep(self.items[at]):
                found.append(self.items[at])
        found.reverse()
        return found


class _OwnerArchive:
    __slots__ = ("all", "by_peer")

    def __init__(self) -> None:
        self.all = Timeline()
        self.by_peer: dict[str, Timeline] = {}

    def add(self, message: StoredMessage, peer_key: str) -> None:
        self.all.add(message)
        peer = self.by_peer.get(peer_key)
        if peer is None:
            peer = self.by_peer[peer_key] = Timeline()
        peer.add(message)


class Archive:
    """Registered domains and users, and one archive per registered user."""

    def __init__(self) -> None:
        self._domains: dict[str, set[str]] = {}
        self._archives: dict[str, _OwnerArchive] = {}
        self._seq = 0
        self._mam_ids: set[int] = set()

    def next_seq(self) -> int:
        """The next insertion sequence number (ties between equal times)."""
        self._seq += 1
        return self._seq

    def new_mam_id(self, time_us: int) -> int:
        # `time_us << 8 | node` (mod_mam_utils:encode_compact_uuid). The real server never
        # archives two messages in one microsecond of one node (mongoose_mam_id bumps the
        # time); seeded messages may share a time, so each takes the lowest free id from
        # `time_us << 8` on, which keeps ids unique (node 0, 1, 2, ... for a shared time).
        mam_id = time_us << 8
        while mam_id in self._mam_ids:
            mam_id += 1
        self._mam_ids.add(mam_id)
        return mam_id

    def add_domain(self, domain_key: str) -> None:
        """Register a (normalised) domain."""
        self._domains.setdefault(domain_key, set())

    def add_user(self, jid: ParsedJID) -> None:
        """Register the bare part of ``jid`` and its domain."""
        self._domains.setdefault(jid.domain_key, set()).add(jid.key)
        self._archives.setdefault(jid.key, _OwnerArchive())

    def has_domain(self, domain_key: str) -> bool:
        """Whether the (normalised) domain is registered."""
        return domain_key in self._domains

    def has_user(self, key: str) -> bool:
        """Whether the (normalised) bare JID is a registered user."""
        return key in self._archives

    def users_of(self, domain_key: str) -> list[str] | None:
        """The sorted bare JIDs of a domain, or ``None`` for an unknown domain."""
        users = self._domains.get(domain_key)
        return None if users is None else sorted(users)

    def store(
        self,
        sender: ParsedJID,
        sender_text: str,
        recipient: ParsedJID,
        recipient_text: str,
        *,
        time_us: int,
        body: str | None,
        message_id: str,
        type_: str | None = "chat",
    ) -> StoredMessage:
        """Archive a message for each party that is a registered user (once for a self-message)."""
        message = StoredMessage(
            time_us,
            self.next_seq(),
            sender_text,
            recipient_text,
            message_id,
            body,
            self.new_mam_id(time_us),
            type_,
        )
        sender_key, recipient_key = sender.key, recipient.key
        owner = self._archives.get(sender_key)
        if owner is not None:
            owner.add(message, recipient_key)
        if recipient_key != sender_key:
            owner = self._archives.get(recipient_key)
            if owner is not None:
                owner.add(message, sender_key)
        return message

    def newest(
        self,
        owner_key: str,
        with_key: str | None,
        before_us: int | None,
        limit: int,
        *,
        with_resource: str | None = None,
    ) -> list[StoredMessage]:
        """The newest ``limit`` messages at or before ``before_us`` (None: no bound), oldest first.

        With ``with_key``, only the messages whose other party has that bare JID; with
        ``with_resource`` too, only those where the other party had that resource (the
        recipient's JID of a message the owner sent, the sender's JID of one it received).
        """
        archive = self._archives.get(owner_key)
        if archive is None or limit <= 0:
            return []
        timeline = archive.all if with_key is None else archive.by_peer.get(with_key)
        if timeline is None:
            return []
        if with_resource is None:
            return timeline.newest(before_us, limit)

        def keep(message: StoredMessage) -> bool:
            return _peer_resource(message, owner_key) == with_resource

        return timeline.newest_matching(before_us, limit, keep)

    def messages_of(self, owner_key: str) -> list[StoredMessage]:
        """Every message of an owner's archive, oldest first."""
        archive = self._archives.get(owner_key)
        return [] if archive is None else list(archive.all.items)
