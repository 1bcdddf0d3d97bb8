"""Rooms of the fake server: MUC Light and MUC services, rooms, members, occupants, and one
archive per room; no I/O (docs/server-behaviour.md, "Room archives").

- Every registered domain ``D`` has a MUC Light service ``muclight.D`` while
  ``muc_light_enabled`` (MongooseIM's default ``mod_muc_light.host``) and a MUC service
  ``conference.D`` while ``muc_enabled`` (``mod_muc.host``). A disabled module's
  subdomain does not exist.
- MAM archives the rooms of one service kind only, ``archived`` (``mod_mam``'s
  ``muc.host``; ``"muc"``, i.e. ``conference.@HOST@``, by default); ``None`` means
  ``mod_mam_muc`` is off. A room of another service reads as ``[]``.
- A MUC Light room has members (bare users, ``owner`` or ``member``); a MUC room has
  occupants (a nick and the full JID that entered with it) and may be hidden
  (``public=False``). A message is archived under ``room/author``: the author's bare JID
  in MUC Light, the nick in MUC; MUC Light stamps an id on a message, a MUC message sent
  by the admin API carries none.
"""

from __future__ import annotations

from typing import Literal

import attrs

from ._archive import Archive, StoredMessage, Timeline
from ._jid import ParsedJID

__all__ = ["SERVICE_PREFIXES", "Room", "RoomKind", "Rooms"]

RoomKind = Literal["muc_light", "muc"]
SERVICE_PREFIXES: dict[RoomKind, str] = {"muc_light": "muclight.", "muc": "conference."}
MODULES: dict[RoomKind, str] = {"muc_light": "mod_muc_light", "muc": "mod_muc"}


@attrs.define
class Room:
    """One room: its JID as written, its kind, who is in it, and its archive."""

    kind: RoomKind
    jid: str
    name: str
    members: dict[str, str] = attrs.Factory(dict)  # MUC Light: user key -> affiliation
    occupants: dict[str, str] = attrs.Factory(dict)  # MUC: nick -> full JID as entered
    public: bool = True
    subject: str = ""
    timeline: Timeline = attrs.Factory(Timeline)


class Rooms:
    """The room services of the registered domains, their rooms and the room archives."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._rooms: dict[str, Room] = {}  # normalised room JID -> room, in creation order
        self.muc_light_enabled = True
        self.muc_enabled = True
        self.archived: RoomKind | None = "muc"

    # Services and modules

    def enabled(self, kind: RoomKind) -> bool:
        return self.muc_light_enabled if kind == "muc_light" else self.muc_enabled

    def service_kind(self, domain_key: str) -> RoomKind | None:
        """The kind of the (enabled) room service at ``domain_key``, if there is one."""
        for kind, prefix in SERVICE_PREFIXES.items():
            if (
                domain_key.startswith(prefix)
                and self.enabled(kind)
                and self._archive.has_domain(domain_key[len(prefix) :])
            ):
                return kind
        return None

    def host_type_known(self, domain_key: str) -> bool:
        """Whether the ``@use`` directive finds a host type for the domain: a registered
        domain or an existing subdomain (mongoose_graphql_directive_use)."""
        return self._archive.has_domain(domain_key) or self.service_kind(domain_key) is not None

    def missing_modules(self, kind: RoomKind, domain_key: str, archive: bool) -> list[str]:
        """The modules the ``@use`` check finds off for a room category's operation (none
        when it finds no host type and lets the resolver run)."""
        if not self.host_type_known(domain_key):
            return []
        missing = [] if self.enabled(kind) else [MODULES[kind]]
        if archive and self.archived is None:
            missing.append("mod_mam_muc")
        return missing

    # Rooms

    def create(
        self, kind: RoomKind, jid: ParsedJID, *, public: bool = True, subject: str = ""
    ) -> Room:
        room = Room(kind, jid.bare, jid.local, public=public, subject=subject)
        self._rooms[jid.key] = room
        return room

    def get(self, key: str) -> Room | None:
        return self._rooms.get(key)

    def of_service(self, service_key: str) -> list[Room]:
        """The rooms of a service, ordered by name (as the services list them)."""
        rooms = [r for k, r in self._rooms.items() if k.partition("@")[2] == service_key]
        return sorted(rooms, key=lambda r: r.name.lower())

    def muc_light_rooms_of(self, user_key: str, domain_key: str) -> list[Room]:
        """The MUC Light rooms of the user's domain's service where the user is a member, in
        creation order (the server's answer is unsorted)."""
        service = SERVICE_PREFIXES["muc_light"] + domain_key
        return [
            r
            for k, r in self._rooms.items()
            if r.kind == "muc_light" and k.partition("@")[2] == service and user_key in r.members
        ]

    # Archives

    def store(
        self,
        room: Room,
        author: str,
        *,
        time_us: int,
        body: str | None,
        message_id: str,
    ) -> StoredMessage:
        """Archive a groupchat message of ``room`` under ``room/author``."""
        message = StoredMessage(
            time_us,
            self._archive.next_seq(),
            f"{room.jid}/{author}",
            room.jid,
            message_id,
            body,
            self._archive.new_mam_id(time_us),
            "groupchat",
        )
        room.timeline.add(message)
        return message

    def archived_room(self, room: Room) -> bool:
        """Whether MAM archives (and so reads) this room's service."""
        return self.archived == room.kind
