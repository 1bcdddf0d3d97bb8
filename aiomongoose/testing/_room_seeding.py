"""The room methods of :class:`~aiomongoose.testing.FakeMongooseIM`: configuration and seeding."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ._archive import StoredMessage
from ._jid import ParsedJID, parse_or_raise
from ._rooms import SERVICE_PREFIXES, Room, RoomKind
from ._state import AppState

__all__ = ["RoomSeeding"]

_DEFAULT_BODY = "Hello!"


class RoomSeeding:
    """MUC Light and MUC rooms (docs/server-behaviour.md, "Room archives").

    Each registered domain ``D`` has the services ``muclight.D`` (MUC Light) and
    ``conference.D`` (MUC), while their modules run (:attr:`muc_light_enabled`,
    :attr:`muc_enabled`). MAM archives the rooms of one service kind,
    :attr:`archived_rooms`. Rooms are created with :meth:`add_room`, filled with
    :meth:`add_room_member` (MUC Light) or :meth:`enter_room` (MUC) and seeded with
    :meth:`add_room_message`; sends through either API archive too.
    """

    _state: AppState

    @property
    def muc_light_enabled(self) -> bool:
        """Whether ``mod_muc_light`` runs (settable; default True). Off, its services do not
        exist ("MUC Light server not found"), and a room named on a served domain answers
        ``deps_not_loaded``."""
        return self._state.rooms.muc_light_enabled

    @muc_light_enabled.setter
    def muc_light_enabled(self, value: bool) -> None:
        self._state.rooms.muc_light_enabled = bool(value)

    @property
    def muc_enabled(self) -> bool:
        """Whether ``mod_muc`` runs (settable; default True), as :attr:`muc_light_enabled`."""
        return self._state.rooms.muc_enabled

    @muc_enabled.setter
    def muc_enabled(self, value: bool) -> None:
        self._state.rooms.muc_enabled = bool(value)

    @property
    def archived_rooms(self) -> RoomKind | None:
        """Which rooms MAM archives (settable): ``"muc"`` (the default, as MongooseIM's
        ``muc.host`` is ``conference.@HOST@``), ``"muc_light"``, or ``None`` when
        ``mod_mam_muc`` is off (``deps_not_loaded``). The other kind's rooms read as ``[]``
        and their messages are not archived."""
        return self._state.rooms.archived

    @archived_rooms.setter
    def archived_rooms(self, value: RoomKind | None) -> None:
        if value not in ("muc", "muc_light", None):
            raise ValueError("archived_rooms must be 'muc', 'muc_light' or None")
        self._state.rooms.archived = value

    def add_room(
        self,
        jid: str,
        *,
        kind: RoomKind = "muc_light",
        members: Iterable[str] = (),
        public: bool = True,
        subject: str = "",
    ) -> None:
        """Create the room ``jid`` (``name@muclight.D`` or ``name@conference.D``, ``D`` a
        registered domain). MUC Light: ``members`` (users' JIDs, the first one the owner)
        are its affiliated users. MUC: ``public=False`` hides it from ``listRooms`` for all
        but its occupants. ``ValueError`` for a malformed JID or a service that is not the
        kind's."""
        if kind not in SERVICE_PREFIXES:
            raise ValueError("kind must be 'muc_light' or 'muc'")
        room = parse_or_raise(jid, "room")
        prefix = SERVICE_PREFIXES[kind]
        parent = room.domain_key[len(prefix) :]
        if not room.local or room.resource or not room.domain_key.startswith(prefix):
            raise ValueError(f"a {kind} room is name@{prefix}DOMAIN, not {jid!r}")
        if not self._state.archive.has_domain(parent):
            raise ValueError(f"register {parent} first (add_domain or add_user)")
        created = self._state.rooms.create(kind, room, public=public, subject=subject)
        for number, member in enumerate(members):
            user = parse_or_raise(member, "member")
            created.members[user.key] = "owner" if number == 0 else "member"

    def _room(self, jid: str, kind: RoomKind | None = None) -> Room:
        room = self._state.rooms.get(parse_or_raise(jid, "room").key)
        if room is None or (kind is not None and room.kind != kind):
            raise ValueError(f"no {kind or 'such'} room {jid!r}: add_room() first")
        return room

    def add_room_member(
        self, room: str, user: str, affiliation: Literal["owner", "member"] = "member"
    ) -> None:
        """Affiliate ``user`` (its bare JID) with the MUC Light room ``room``."""
        self._room(room, "muc_light").members[parse_or_raise(user, "user").key] = affiliation

    def enter_room(self, room: str, user: str, nick: str) -> None:
        """Make ``user`` (a full JID, as a client enters) an occupant of the MUC room ``room``
        under ``nick``. Only a message from exactly that full JID reaches the room."""
        occupant: ParsedJID = parse_or_raise(user, "user")
        if not occupant.resource:
            raise ValueError("an occupant enters with a full JID (user@domain/resource)")
        if not isinstance(nick, str) or not nick:
            raise ValueError("nick must be a non-empty str")
        self._room(room, "muc").occupants[nick] = user

    def add_room_message(
        self,
        room: str,
        author: str,
        *,
        at_us: int,
        body: str | None = _DEFAULT_BODY,
        message_id: str | None = None,
    ) -> StoredMessage:
        """Archive a message of ``author`` (a user's JID in MUC Light, stored as its bare
        JID; a nick in MUC) in ``room`` at ``at_us`` microseconds. It is read back (GraphQL
        ``getRoomMessages``) with ``sender`` ``room/author`` when MAM archives the room's
        kind (:attr:`archived_rooms`). ``message_id`` None generates one, ``""`` stores none.
        Messages sharing a microsecond keep their order and get distinct stanza ids."""
        if isinstance(at_us, bool) or not isinstance(at_us, int):
            raise TypeError("at_us must be an int (microseconds since the epoch)")
        target = self._room(room)
        if target.kind == "muc_light":
            author = parse_or_raise(author, "author").key
        elif not isinstance(author, str) or not author:
            raise ValueError("author must be a nick (a non-empty str)")
        state = self._state
        return state.rooms.store(
            target,
            author,
            time_us=at_us,
            body=body,
            message_id=state.new_message_id() if message_id is None else message_id,
        )

    def room_archive_of(self, room: str) -> list[StoredMessage]:
        """The archive of ``room``, oldest first (whatever MAM would read of it)."""
        return list(self._room(room).timeline.items)

    def rooms_of(self, user: str) -> list[str]:
        """The MUC Light rooms where ``user`` is affiliated, in creation order."""
        jid = parse_or_raise(user, "user")
        return [r.jid for r in self._state.rooms.muc_light_rooms_of(jid.key, jid.domain_key)]
