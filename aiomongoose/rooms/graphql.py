"""The rooms group over GraphQL (MongooseIM 6.0+): the ``muc_light`` and ``muc`` categories.

Pure: build an operation, parse its answer. The documents are constants and every value
travels as a variable (docs/server-behaviour.md, "Room archives"). ``kind`` picks the
category: ``"muc_light"`` or ``"muc"``; their operations take the same arguments but for
the sender of ``sendMessageToRoom`` (``JID!`` in MUC Light, ``FullJID!`` in MUC).
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from .._codec import parse_graphql_records
from .._graphql import operation_result
from .._time import format_datetime_us
from .._wire import GraphQLCall
from ..errors import ProtocolError
from ..models import MessageList

__all__ = [
    "RoomsPage",
    "RoomKind",
    "list_muc_light_rooms",
    "list_muc_rooms",
    "parse_list_muc_light_rooms",
    "parse_list_muc_rooms",
    "parse_recent",
    "parse_send",
    "parse_user_rooms",
    "recent",
    "send",
    "user_rooms",
]

RoomKind = Literal["muc_light", "muc"]

_NAMES = {"muc_light": "MucLight", "muc": "Muc"}
_SENDER_TYPE = {"muc_light": "JID!", "muc": "FullJID!"}

ROOM_MESSAGES = {
    kind: (
        f"query {name}RoomMessages($room: BareJID!, $pageSize: PosInt, $before: DateTime) "
        f"{{ {kind} {{ getRoomMessages(room: $room, pageSize: $pageSize, before: $before) "
        "{ stanzas { sender timestamp stanza_id stanza } limit } } }"
    )
    for kind, name in _NAMES.items()
}

SEND_TO_ROOM = {
    kind: (
        f"mutation {name}SendToRoom($room: BareJID!, $from: {_SENDER_TYPE[kind]}, "
        f"$body: String!) {{ {kind} {{ sendMessageToRoom(room: $room, from: $from, "
        "body: $body) } }"
    )
    for kind, name in _NAMES.items()
}

USER_ROOMS = "query UserRooms($user: JID!) { muc_light { listUserRooms(user: $user) } }"

MUC_ROOMS = (
    "query MucRooms($mucDomain: DomainName!, $from: JID!, $limit: PosInt, $index: NonNegInt) "
    "{ muc { listRooms(mucDomain: $mucDomain, from: $from, limit: $limit, index: $index) "
    "{ rooms { jid } count index } } }"
)

# MongooseIM 6.8 and later only: older servers refuse the document (unknown_field).
MUC_LIGHT_ROOMS = (
    "query MucLightRooms($mucDomain: DomainName!, $after: BareJID, $limit: PosInt) "
    "{ muc_light { listRooms(mucDomain: $mucDomain, after: $after, limit: $limit) "
    "{ rooms { jid } count nextPage } } }"
)


def recent(kind: RoomKind, room: str, before_us: int | None, limit: int | None) -> GraphQLCall:
    """One page of ``room``'s archive; ``before_us`` in microseconds (inclusive). ``limit``
    travels as ``pageSize`` and must be positive (``PosInt``)."""
    variables: dict[str, Any] = {"room": room}
    if limit is not None:
        variables["pageSize"] = limit
    if before_us is not None:
        variables["before"] = format_datetime_us(before_us)
    return GraphQLCall(f"{_NAMES[kind]}RoomMessages", ROOM_MESSAGES[kind], variables, reads=True)


def parse_recent(
    kind: RoomKind, data: dict[str, Any], status: int, body: bytes
) -> tuple[MessageList, int | None]:
    """The page (oldest first) and the ``limit`` the server says it applied."""
    result = operation_result(data, kind, "getRoomMessages", status, body)
    if not isinstance(result, dict):
        raise ProtocolError("malformed getRoomMessages payload", status=status, body=body)
    stanzas, limit = result.get("stanzas"), result.get("limit")
    if type(stanzas) is not list or not (limit is None or type(limit) is int):
        raise ProtocolError("malformed getRoomMessages payload", status=status, body=body)
    return parse_graphql_records(stanzas, status, body), limit


def send(kind: RoomKind, room: str, sender: str, body: str) -> GraphQLCall:
    variables = {"room": room, "from": sender, "body": body}
    return GraphQLCall(f"{_NAMES[kind]}SendToRoom", SEND_TO_ROOM[kind], variables, reads=False)


def parse_send(kind: RoomKind, data: dict[str, Any], status: int, body: bytes) -> None:
    """The server answers a sentence ("Message sent successfully") and no id."""
    if type(operation_result(data, kind, "sendMessageToRoom", status, body)) is not str:
        raise ProtocolError("sendMessageToRoom answered without its text", status=status, body=body)


def user_rooms(user: str) -> GraphQLCall:
    return GraphQLCall("UserRooms", USER_ROOMS, {"user": user}, reads=True)


def parse_user_rooms(data: dict[str, Any], status: int, body: bytes) -> list[str]:
    """The JIDs of the MUC Light rooms where the user has an affiliation, as answered."""
    rooms = operation_result(data, "muc_light", "listUserRooms", status, body)
    if type(rooms) is not list or not all(type(r) is str for r in rooms):
        raise ProtocolError("expected listUserRooms to be a list of JIDs", status=status, body=body)
    return rooms


@attrs.frozen
class RoomsPage:
    """One answer of a room listing: the room JIDs, and how the listing goes on."""

    jids: tuple[str, ...]
    count: int | None = None  # MUC: rooms of the service, before hiding any
    next_page: bool = False  # MUC Light: more rooms after these


def list_muc_rooms(domain: str, visible_to: str, limit: int, index: int) -> GraphQLCall:
    variables = {"mucDomain": domain, "from": visible_to, "limit": limit, "index": index}
    return GraphQLCall("MucRooms", MUC_ROOMS, variables, reads=True)


def list_muc_light_rooms(domain: str, after: str | None, limit: int) -> GraphQLCall:
    variables: dict[str, Any] = {"mucDomain": domain, "limit": limit}
    if after is not None:
        variables["after"] = after
    return GraphQLCall("MucLightRooms", MUC_LIGHT_ROOMS, variables, reads=True)


def _room_jids(result: Any, status: int, body: bytes) -> tuple[str, ...]:
    if not isinstance(result, dict):
        raise ProtocolError("malformed listRooms payload", status=status, body=body)
    rooms = result.get("rooms")
    if rooms is None:
        rooms = []
    if type(rooms) is not list or not all(
        isinstance(r, dict) and type(r.get("jid")) is str for r in rooms
    ):
        raise ProtocolError("malformed listRooms payload", status=status, body=body)
    return tuple(r["jid"] for r in rooms)


def parse_list_muc_rooms(data: dict[str, Any], status: int, body: bytes) -> RoomsPage:
    result = operation_result(data, "muc", "listRooms", status, body)
    jids = _room_jids(result, status, body)
    count = result.get("count")
    if not (count is None or type(count) is int):
        raise ProtocolError("malformed listRooms payload", status=status, body=body)
    return RoomsPage(jids, count=count)


def parse_list_muc_light_rooms(data: dict[str, Any], status: int, body: bytes) -> RoomsPage:
    result = operation_result(data, "muc_light", "listRooms", status, body)
    jids = _room_jids(result, status, body)
    next_page = result.get("nextPage")
    if not (next_page is None or type(next_page) is bool):
        raise ProtocolError("malformed listRooms payload", status=status, body=body)
    return RoomsPage(jids, next_page=bool(next_page))
