"""The rooms group over REST (MongooseIM 3.x to 6.5): sending only, pure.

The REST admin API has no endpoint that reads a room archive or lists rooms
(docs/server-behaviour.md, "Room archives"). It sends with ``POST`` and JSON
``{"from", "body"}``, answered 204:

- MUC Light: ``/muc-lights/{MUC Light service}/{room id}/messages``;
- MUC: ``/mucs/{XMPP domain}/{room name}/messages``: the path names the XMPP domain, and
  the server finds the MUC service from its configuration (``conference.<domain>`` by
  default).

Both routes offer no JSON answer, so an ``Accept`` without ``*/*`` is refused (406):
every request sends ``Accept: */*``.
"""

from __future__ import annotations

from .._codec import dumps
from .._wire import RestCall
from .graphql import RoomKind

__all__ = ["send", "xmpp_domain_of"]

_PATHS = {"muc_light": "muc-lights", "muc": "mucs"}


def xmpp_domain_of(service: str) -> str:
    """The XMPP domain whose MUC service ``service`` is, by MongooseIM's default naming
    (``conference.@HOST@``, or any one-label prefix): ``conference.example.com`` ->
    ``example.com``. A service without a dot is returned as is."""
    head, dot, rest = service.partition(".")
    return rest if dot and rest else service


def send(
    kind: RoomKind, room: str, sender: str, body: str, xmpp_domain: str | None = None
) -> RestCall:
    """``POST`` ``body`` from ``sender`` into the bare room JID ``room``. For MUC the path
    takes ``xmpp_domain`` (default: :func:`xmpp_domain_of` the room's service)."""
    name, _, service = room.partition("@")
    if kind == "muc":
        service = xmpp_domain if xmpp_domain is not None else xmpp_domain_of(service)
    payload = dumps({"from": sender, "body": body})
    return RestCall("POST", (_PATHS[kind], service, name, "messages"), body=payload, accept="*/*")
