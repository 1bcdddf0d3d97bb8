"""The resolvers of the fake's ``muc_light`` and ``muc`` GraphQL categories.

Each does what MongooseIM's resolver does, in its order (docs/server-behaviour.md, "Room
archives"): first the ``@use`` directive (``deps_not_loaded`` when the room module, or
for reading the room-archive module ``mod_mam_muc``, is off for a domain whose host type
it finds: a served domain or an existing service; an unknown subdomain skips the check),
then the operation (:mod:`._room_ops`), whose failures answer 200 with ``null`` and the
operation's code: ``user_not_found``, ``muc_server_not_found``, ``room_not_found``,
``not_room_member``.
"""

from __future__ import annotations

from typing import Any

from ._gql_schema import Opaque, ResolverError, deps_not_loaded
from ._jid import ParsedJID
from ._room_ops import (
    RoomError,
    list_muc_light_rooms,
    list_muc_rooms,
    read_room,
    send_to_muc,
    send_to_muc_light,
    user_rooms,
)
from ._rooms import RoomKind
from ._state import AppState

__all__ = ["ROOM_RESOLVERS"]

_SENT = "Message sent successfully"


def _use(state: AppState, kind: RoomKind, domain_key: str, archive: bool = False) -> None:
    missing = state.rooms.missing_modules(kind, domain_key, archive)
    if missing:
        raise deps_not_loaded(missing, before_6_3=state.profile.deps_not_loaded_before_6_3)


def _failed(error: RoomError, **extra: object) -> ResolverError:
    return ResolverError(error.code, error.message, **extra)


def _room_messages(kind: RoomKind) -> Any:
    def resolve(
        state: AppState,
        _info: object,
        room: ParsedJID,
        pageSize: int | None = None,  # noqa: N803 - the schema's argument name
        before: int | None = None,
    ) -> dict[str, object]:
        _use(state, kind, room.domain_key, archive=True)
        try:
            messages, limit = read_room(state, kind, room, before, pageSize)
        except RoomError as exc:
            raise _failed(exc, room=room.text) from None
        return {"stanzas": messages, "limit": limit}

    return resolve


def _send_muc_light(state: AppState, _info: object, room: ParsedJID, **args: Any) -> str:
    sender, body = args["from"], args["body"]
    _use(state, "muc_light", room.domain_key)
    if isinstance(body, Opaque):
        raise ResolverError("resolver_crash", "Unexpected MUCLightAdminMutation resolver crash")
    try:
        send_to_muc_light(state, room, sender, body)
    except RoomError as exc:
        raise _failed(exc, room=room.text) from None
    return _SENT


def _send_muc(state: AppState, _info: object, room: ParsedJID, **args: Any) -> str:
    sender, body = args["from"], args["body"]
    _use(state, "muc", room.domain_key)
    if isinstance(body, Opaque):
        raise ResolverError("resolver_crash", "Unexpected MUCAdminMutation resolver crash")
    send_to_muc(state, room, sender.text, body)  # no check: always "sent"
    return _SENT


def _list_user_rooms(state: AppState, _info: object, user: ParsedJID) -> list[str]:
    _use(state, "muc_light", user.domain_key)
    try:
        return user_rooms(state, user)
    except RoomError as exc:
        raise _failed(exc, user=user.text) from None


def _list_muc_rooms(state: AppState, _info: object, **args: Any) -> dict[str, Any]:
    domain = args["mucDomain"]
    try:
        return list_muc_rooms(state, domain, args["from"], args.get("limit"), args.get("index"))
    except RoomError as exc:
        raise _failed(exc, mucDomain=domain) from None


def _list_muc_light_rooms(state: AppState, _info: object, **args: Any) -> dict[str, Any]:
    domain = args["mucDomain"]
    try:
        return list_muc_light_rooms(
            state, domain, args.get("filter"), args.get("after"), args["limit"]
        )
    except RoomError as exc:
        raise _failed(exc, mucDomain=domain) from None


ROOM_RESOLVERS: dict[str, dict[str, Any]] = {
    "MUCLightAdminQuery": {
        "getRoomMessages": _room_messages("muc_light"),
        "listUserRooms": _list_user_rooms,
        "listRooms": _list_muc_light_rooms,
    },
    "MUCLightAdminMutation": {"sendMessageToRoom": _send_muc_light},
    "MUCAdminQuery": {"getRoomMessages": _room_messages("muc"), "listRooms": _list_muc_rooms},
    "MUCAdminMutation": {"sendMessageToRoom": _send_muc},
}
