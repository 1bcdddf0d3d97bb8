"""What the room operations do, for both APIs (``mod_muc_light_api``, ``mod_muc_api``);
the REST routes and the GraphQL resolvers only add their checks and their answer format.

Each failure is a :class:`RoomError` carrying the GraphQL code, the text and the status
REST answers it with (docs/server-behaviour.md, "Room archives").
"""

from __future__ import annotations

from typing import Any

from ._archive import StoredMessage
from ._jid import ParsedJID, parse_jid
from ._rooms import SERVICE_PREFIXES, Room, RoomKind
from ._routing import deliver
from ._state import AppState

__all__ = [
    "ROOM_PAGE_CAP",
    "RoomError",
    "list_muc_light_rooms",
    "list_muc_rooms",
    "read_room",
    "send_to_muc",
    "send_to_muc_light",
    "user_rooms",
]

#: getRoomMessages' fixed maximum, whatever mod_mam's max_result_limit.
ROOM_PAGE_CAP = 50
_SERVER_NOT_FOUND = {"muc_light": "MUC Light server not found", "muc": "MUC server not found"}


class RoomError(Exception):
    """A room operation's failure: GraphQL ``code``, the server's ``message``, REST ``status``."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _server_not_found(kind: RoomKind) -> RoomError:
    return RoomError("muc_server_not_found", _SERVER_NOT_FOUND[kind], 404)


def _check_user(state: AppState, user: ParsedJID) -> None:
    if not state.archive.has_domain(user.domain_key):
        raise RoomError("user_not_found", "User's domain does not exist", 400)
    if not state.archive.has_user(user.key):
        raise RoomError("user_not_found", "Given user does not exist", 400)


def _service(state: AppState, kind: RoomKind, domain_key: str) -> None:
    if state.rooms.service_kind(domain_key) != kind:
        raise _server_not_found(kind)


def _muc_light_room(state: AppState, room_jid: ParsedJID) -> Room:
    room = state.rooms.get(room_jid.key)
    if room is None or room.kind != "muc_light":
        raise RoomError("room_not_found", "Room not found", 404)
    return room


def send_to_muc_light(
    state: AppState, room_jid: ParsedJID, sender: ParsedJID, body: str
) -> StoredMessage | None:
    """The checks of ``mod_muc_light_api:send_message`` in their order (user, service, room,
    membership), then the message, archived when the service is; MUC Light stamps an id."""
    _check_user(state, sender)
    _service(state, "muc_light", room_jid.domain_key)
    room = _muc_light_room(state, room_jid)
    if sender.key not in room.members:
        raise RoomError("not_room_member", "Given user does not occupy this room", 403)
    time_us = state.clock.next_send_us()
    author = sender.key  # the bare JID, as the room broadcasts it
    message_id = state.new_message_id()
    stored = None
    if state.rooms.archived_room(room):
        stored = state.rooms.store(room, author, time_us=time_us, body=body, message_id=message_id)
    _broadcast(state, room, author, time_us, body, message_id, stored)
    return stored


def _broadcast(
    state: AppState,
    room: Room,
    author: str,
    time_us: int,
    body: str,
    message_id: str,
    stored: StoredMessage | None,
) -> None:
    """MUC Light's broadcast (``mod_muc_light_codec_modern:encode``): a ``groupchat`` from
    ``room/author`` to the bare JID of every member, the author included, routed as any
    message to a bare JID is (the highest-priority sessions: SSE subscriptions too). The
    room archive's ``<stanza-id by=room/>`` rides along when it archived the message;
    members' own archives do not keep groupchat messages (mod_mam's default)."""
    sender = f"{room.jid}/{author}"
    archived_as = None if stored is None else (room.jid.lower(), stored.stanza_id)
    for member in room.members:
        recipient = parse_jid(member)
        if recipient is not None:
            deliver(
                state, sender, recipient, member,
                time_us=time_us, body=body, message_id=message_id, type_="groupchat",
                archived_as=archived_as,
            )  # fmt: skip


def send_to_muc(state: AppState, room_jid: ParsedJID, sender: str, body: str) -> None:
    """``mod_muc_api:send_message_to_room``: routed without any check. The room accepts it
    only from an occupant who entered with exactly that JID (then it is archived under the
    occupant's nick, without an id); anything else bounces back to the sender."""
    time_us = state.clock.next_send_us()
    room = state.rooms.get(room_jid.key)
    sent = parse_jid(sender)
    if room is None or room.kind != "muc" or sent is None:
        return
    if state.rooms.service_kind(room_jid.domain_key) != "muc":
        return
    for nick, entered in room.occupants.items():
        jid = parse_jid(entered)
        if jid is not None and (jid.key, jid.resource) == (sent.key, sent.resource):
            if state.rooms.archived_room(room):
                state.rooms.store(room, nick, time_us=time_us, body=body, message_id="")
            return


def read_room(
    state: AppState, kind: RoomKind, room_jid: ParsedJID, before_us: int | None, size: int | None
) -> tuple[list[StoredMessage], int]:
    """``getRoomMessages``: the service must exist, and in MUC Light the room too; a room
    of a service MAM does not archive reads as nothing. ``size`` absent or above the cap
    becomes the cap; ``before`` absent means now."""
    limit = ROOM_PAGE_CAP if size is None or size > ROOM_PAGE_CAP else size
    _service(state, kind, room_jid.domain_key)
    if kind == "muc_light":
        room: Room | None = _muc_light_room(state, room_jid)
    else:
        room = state.rooms.get(room_jid.key)
    if room is None or room.kind != kind or not state.rooms.archived_room(room):
        return [], limit
    bound = state.clock.now_us() if before_us is None else before_us
    return room.timeline.newest(bound, limit), limit


def user_rooms(state: AppState, user: ParsedJID) -> list[str]:
    """``listUserRooms``: the user must exist; the MUC Light rooms of its domain's service
    where it has an affiliation."""
    _check_user(state, user)
    return [r.jid for r in state.rooms.muc_light_rooms_of(user.key, user.domain_key)]


def _visible(room: Room, viewer: ParsedJID) -> bool:
    if room.public:
        return True
    entered = (parse_jid(jid) for jid in room.occupants.values())
    return any(jid is not None and jid.key == viewer.key for jid in entered)


def list_muc_rooms(
    state: AppState, domain: str, viewer: ParsedJID, limit: int | None, index: int | None
) -> dict[str, Any]:
    """MUC ``listRooms``: slice the service's rooms (by name) first, then hide the rooms
    ``viewer`` may not see; ``count``, ``index``, ``first`` and ``last`` describe the slice."""
    _service(state, "muc", domain)
    rooms = state.rooms.of_service(domain)
    start = index or 0
    part = rooms[start:] if limit is None else rooms[start : start + limit]
    return {
        "rooms": [
            {
                "jid": r.jid,
                "title": r.name,
                "private": not r.public,
                "usersNumber": len(r.occupants),
            }
            for r in part
            if _visible(r, viewer)
        ],
        "count": len(rooms),
        "index": start if part else None,
        "first": part[0].name if part else None,
        "last": part[-1].name if part else None,
    }


def list_muc_light_rooms(
    state: AppState, domain: str, filter_: str | None, after: ParsedJID | None, limit: int
) -> dict[str, Any]:
    """MUC Light ``listRooms`` (6.8+): the service's rooms ordered by JID, those after
    ``after`` (exclusive), ``filter`` a substring of the JID or the name."""
    _service(state, "muc_light", domain)
    rooms = sorted(state.rooms.of_service(domain), key=lambda r: r.jid.lower())
    if filter_:
        rooms = [r for r in rooms if filter_ in r.jid or filter_ in r.name]
    count = len(rooms)
    if after is not None:
        rooms = [r for r in rooms if r.jid.lower() > after.key]
    page = rooms[:limit]
    return {
        "rooms": [
            {"jid": r.jid, "name": r.name, "subject": r.subject, "usersNumber": len(r.members)}
            for r in page
        ],
        "count": count,
        "nextPage": len(rooms) > limit,
    }


def service_of(kind: RoomKind, domain: str) -> str:
    """The default service domain of ``kind`` for the XMPP domain ``domain``."""
    return SERVICE_PREFIXES[kind] + domain
