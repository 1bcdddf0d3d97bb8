"""The REST admin API's room routes that send (MongooseIM 6.x, ``mongoose_admin_api_muc_light``
and ``mongoose_admin_api_muc``), without any I/O.

- ``POST /api/muc-lights/{MUC Light service}/{room id}/messages`` with ``{"from", "body"}``:
  the room JID (400 "Invalid room ID or domain name"), the body, then the checks of
  :func:`._room_ops.send_to_muc_light` (400, 404, 404, 403); 204.
- ``POST /api/mucs/{XMPP domain}/{room name}/messages``: the domain must be served with
  ``mod_muc`` on (404 "MUC domain not found"; the MUC service is derived from it, so a
  service name there is not found either), the room name (400 "Invalid room name"), the
  body; then 204 whatever happens to the message (:func:`._room_ops.send_to_muc`).

Both routes provide no JSON (Cowboy's default ``text/html``): an ``Accept`` that excludes
HTML is an empty 406, checked by :class:`._api.RestApi` with the other Cowboy answers. The
other room routes (creating rooms, inviting, kicking) are not served: 404.
"""

from __future__ import annotations

from collections.abc import Collection

from ._jid import ParsedJID, parse_jid
from ._json import loads
from ._room_ops import RoomError, send_to_muc, send_to_muc_light, service_of
from ._state import AppState

__all__ = ["ROOM_ROUTES", "accepts_html", "send_to_room"]

#: group -> the methods its routes allow (``allowed_methods``)
ROOM_ROUTES = {
    "muc-lights": ("OPTIONS", "POST", "PUT", "DELETE"),
    "mucs": ("OPTIONS", "POST", "DELETE"),
}
_FORBIDDEN_IN_NAME = frozenset("\"&'/:<>@")


def accepts_html(accept: str | None) -> bool:
    """Whether ``Accept`` allows ``text/html``, the only type the room routes provide."""
    if accept is None or not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = (p.strip().lower() for p in item.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if media in ("*/*", "text/*", "text/html"):
            return True
    return False


def _fail(status: int, text: str) -> RoomError:
    return RoomError("rest", text, status)


def _room(name: str, service: str, error: str) -> ParsedJID:
    jid = parse_jid(f"{name}@{service}")
    if jid is None or _FORBIDDEN_IN_NAME.intersection(name) or jid.resource or not name:
        raise _fail(400, error)
    return jid


def _arguments(body: bytes, known: Collection[str]) -> tuple[str, str]:
    try:
        args = loads(body)  # as jiffy decodes: any depth, integers of any length
    except ValueError:
        raise _fail(400, "Invalid request body") from None
    if not isinstance(args, dict) or any(key not in known for key in args):
        raise _fail(400, "Invalid request body")
    if "from" not in args:
        raise _fail(400, "Missing sender JID")
    sender = args["from"]
    if not isinstance(sender, str) or parse_jid(sender) is None:
        raise _fail(400, "Invalid sender JID")
    if "body" not in args:
        raise _fail(400, "Missing message body")
    if not isinstance(args["body"], str):
        raise _fail(400, "Invalid request body")
    return sender, args["body"]


def send_to_room(
    state: AppState, group: str, bindings: list[str], body: bytes, known: Collection[str]
) -> None:
    """Handle ``POST /api/{group}/{domain}/{room}/messages``; :class:`RoomError` carries the
    status and text of a refusal."""
    domain, name = bindings[0], bindings[1]
    if group == "muc-lights":
        room = _room(name, domain, "Invalid room ID or domain name")
        sender, text = _arguments(body, known)
        sender_jid = parse_jid(sender)
        assert sender_jid is not None
        send_to_muc_light(state, room, sender_jid, text)
        return
    key = domain.lower()
    if not (state.archive.has_domain(key) and state.rooms.muc_enabled):
        raise _fail(404, "MUC domain not found")
    room = _room(name, service_of("muc", key), "Invalid room name")
    sender, text = _arguments(body, known)
    send_to_muc(state, room, sender, text)
