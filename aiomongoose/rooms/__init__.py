"""The rooms API group: read, page through, send to and list group chats.

Two kinds of rooms, ``kind="muc_light"`` (MUC Light, the default) and ``kind="muc"``
(classic MUC), each its own GraphQL category. Reading a room archive and listing rooms
exist only over GraphQL (MongooseIM 6.0+); sending works over both APIs
(docs/server-behaviour.md, "Room archives"). Requests are built and answers parsed by
:mod:`.rest` and :mod:`.graphql`; archives are paged by :mod:`aiomongoose.paging`, with
the same :class:`~aiomongoose.History` as one-to-one archives.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import aiohttp

from .._api import Api
from .._transport import Transport
from .._validate import (
    as_timeout,
    before_microseconds,
    body_text,
    history_options,
    non_negative_int,
)
from .._wire import GraphQLCall
from ..errors import (
    ApiError,
    InvalidArgumentError,
    InvalidJIDError,
    UnsupportedOperationError,
)
from ..jid import validate_domain, validate_jid
from ..models import MessageList
from ..paging import ArchiveKey, History, archive_opener
from . import graphql, rest
from .graphql import RoomKind, RoomsPage

__all__ = ["RoomKind", "Rooms"]

KINDS = ("muc_light", "muc")
_REST_READ = (
    "MongooseIM's REST admin API cannot read room archives; api='graphql' (MongooseIM "
    "6.0 or later) can: AdminClient(url, api='graphql'), whose URL is the GraphQL "
    "listener's /api"
)
_REST_LIST = (
    "MongooseIM's REST admin API cannot list rooms; api='graphql' (MongooseIM 6.0 or later) can"
)
_NO_MUC_LIGHT_LIST = (
    "this server has no MUC Light listRooms (MongooseIM 6.8 or later has it); list the "
    "rooms of each user with rooms.of_user() instead"
)
_LIST_PAGE = 100  # rooms per listing request


def _kind(kind: object) -> RoomKind:
    if kind == "muc_light":
        return "muc_light"
    if kind == "muc":
        return "muc"
    raise InvalidArgumentError(f"kind must be 'muc_light' or 'muc', not {kind!r}")


def _room(room: object) -> str:
    validate_jid(room, "room")
    assert isinstance(room, str)
    local, at, rest = room.partition("@")
    if not at or "/" in room:
        raise InvalidJIDError(f"room must be a bare room JID (name@service), not {room!r}")
    return room


class Rooms:
    """Calls of the rooms group. Reach it as ``client.rooms``."""

    def __init__(self, transport: Transport, api: Api) -> None:
        self._transport = transport
        self._api = api

    async def recent(
        self,
        room: str,
        *,
        kind: RoomKind = "muc_light",
        limit: int | None = None,
        before: int | datetime | None = None,
        timeout: aiohttp.ClientTimeout | float | None = None,
    ) -> MessageList:
        """The newest messages of ``room``'s archive, oldest first (GraphQL only:
        ``muc_light.getRoomMessages`` or ``muc.getRoomMessages``).

        Each record's ``sender`` is the room's JID with the author as resource (see
        :attr:`~aiomongoose.ArchivedMessage.room` and ``author``). ``before`` (inclusive)
        is Unix seconds or an aware datetime, exact to the microsecond. ``limit`` travels
        as ``pageSize``; the server answers at most 50, whatever its configuration. A room
        of a service the server does not archive reads as an empty page. Raises
        :class:`~aiomongoose.errors.UnsupportedOperationError` over REST, before any
        request; :class:`~aiomongoose.errors.NotFoundError` for an unknown service or
        (MUC Light) room; :class:`~aiomongoose.errors.FeatureDisabledError` when the
        room or room-archive module is off.
        """
        kind = _kind(kind)
        _room(room)
        before_us = before_microseconds(before)
        checked_limit = None if limit is None else non_negative_int(limit, "limit")
        call_timeout = as_timeout(timeout)
        if await self._api.resolve() == "rest":
            raise UnsupportedOperationError(_REST_READ)
        page, _ = await self._page(kind, room, before_us, checked_limit, call_timeout)
        return page

    def history(
        self,
        room: str,
        *,
        kind: RoomKind = "muc_light",
        before: int | datetime | None = None,
        page_size: int | None = None,
        cursor: dict[str, Any] | None = None,
        on_stall: Literal["raise", "skip"] = "raise",
        timeout: aiohttp.ClientTimeout | float | None = None,
    ) -> History:
        """Every message of ``room``'s archive, newest first: the same
        :class:`~aiomongoose.History` as ``client.messages.history()`` (``pages()``,
        ``cursor``, resuming with ``cursor=``), paged by the microsecond with the archive's
        unique ids, so nothing is lost or repeated. GraphQL only: over REST it raises
        :class:`~aiomongoose.errors.UnsupportedOperationError` before any request.
        ``page_size`` defaults to the server's 50 (its fixed maximum too).
        """
        kind = _kind(kind)
        _room(room)
        history_options(before, page_size, on_stall)
        call_timeout = as_timeout(timeout)

        async def graphql_read(
            before_us: int | None, limit: int | None
        ) -> tuple[MessageList, int | None]:
            return await self._page(kind, room, before_us, limit, call_timeout)

        opener = archive_opener(
            None,
            graphql_read,
            before=before,
            page_size=page_size,
            cursor=cursor,
            rest_refusal=_REST_READ,
        )
        return History(opener, self._api, key=ArchiveKey(room), on_stall=on_stall, cursor=cursor)

    async def send(
        self,
        room: str,
        sender: str,
        body: str,
        *,
        kind: RoomKind = "muc_light",
        xmpp_domain: str | None = None,
        timeout: aiohttp.ClientTimeout | float | None = None,
    ) -> None:
        """Send ``body`` from ``sender`` to the room ``room`` (a groupchat message).

        GraphQL: ``sendMessageToRoom``. MUC Light checks that ``sender`` is an existing
        user (:class:`~aiomongoose.errors.BadRequestError`), the service and the room
        (:class:`~aiomongoose.errors.NotFoundError`) and the membership
        (:class:`~aiomongoose.errors.ForbiddenError`). Classic MUC takes the full JID of
        an occupant: a bare ``sender`` raises :class:`~aiomongoose.errors.InvalidJIDError`
        before any request; the server then checks nothing (a missing room or a sender
        who is not an occupant is a silent success).

        REST (3.x-6.5): ``POST /muc-lights/{service}/{id}/messages`` (MUC Light, the same
        checks as 400/404/404/403) or ``POST /mucs/{xmpp_domain}/{name}/messages`` (MUC,
        always 204: a bare ``sender`` is taken, and delivered only if an occupant entered
        with exactly that JID). The MUC path names the XMPP domain, not the MUC service:
        by default the room's service without its first label (``conference.example.com``
        -> ``example.com``, MongooseIM's default naming); pass ``xmpp_domain`` otherwise.
        Never retried once the request may have left.
        """
        kind = _kind(kind)
        _room(room)
        validate_jid(sender, "sender")
        body_text(body)
        if xmpp_domain is not None:
            if kind != "muc":
                raise InvalidArgumentError("xmpp_domain only applies to kind='muc'")
            validate_domain(xmpp_domain, "xmpp_domain")
        call_timeout = as_timeout(timeout)
        if await self._api.resolve() == "rest":
            await self._transport.rest(
                rest.send(kind, room, sender, body, xmpp_domain), call_timeout
            )
            return
        if kind == "muc" and "/" not in sender:
            raise InvalidJIDError(
                f"sender {sender!r}: classic MUC over GraphQL takes the full JID of an "
                "occupant (user@domain/resource), as the occupant entered the room"
            )
        call = graphql.send(kind, room, sender, body)
        data, status, raw = await self._transport.graphql(call, call_timeout)
        self._transport.guard(graphql.parse_send, kind, data, status, raw)

    async def of_user(
        self, user: str, *, timeout: aiohttp.ClientTimeout | float | None = None
    ) -> list[str]:
        """The bare JIDs of the MUC Light rooms where ``user`` has an affiliation, sorted
        (GraphQL ``muc_light.listUserRooms``). Raises
        :class:`~aiomongoose.errors.BadRequestError` for an unknown user and
        :class:`~aiomongoose.errors.UnsupportedOperationError` over REST."""
        validate_jid(user, "user")
        call_timeout = as_timeout(timeout)
        if await self._api.resolve() == "rest":
            raise UnsupportedOperationError(_REST_LIST)
        data, status, body = await self._transport.graphql(graphql.user_rooms(user), call_timeout)
        return sorted(self._transport.guard(graphql.parse_user_rooms, data, status, body))

    async def list(
        self,
        muc_domain: str,
        *,
        visible_to: str | None = None,
        kind: RoomKind = "muc",
        timeout: aiohttp.ClientTimeout | float | None = None,
    ) -> builtins.list[str]:
        """The bare JIDs of the rooms of the service ``muc_domain`` (GraphQL only).

        ``kind="muc"`` (the default): ``muc.listRooms``, the rooms that ``visible_to`` (a
        user's JID, required) may see, paged with ``limit``/``index`` until ``index``
        passes the reported ``count`` (the server hides rooms after slicing, so a page
        may be short or empty while more follow). ``kind="muc_light"``:
        ``muc_light.listRooms`` with its ``after`` cursor, MongooseIM 6.8 and later
        (older servers: :class:`~aiomongoose.errors.UnsupportedOperationError`; use
        :meth:`of_user`). Rooms created or removed while listing may be missed or seen
        twice by the server; each JID is returned once, in the server's order. Raises
        :class:`~aiomongoose.errors.NotFoundError` for an unknown service.
        """
        kind = _kind(kind)
        validate_domain(muc_domain, "muc_domain")
        if kind == "muc":
            if visible_to is None:
                raise InvalidArgumentError("kind='muc' needs visible_to (a user's JID)")
            validate_jid(visible_to, "visible_to")
        elif visible_to is not None:
            raise InvalidArgumentError("visible_to only applies to kind='muc'")
        call_timeout = as_timeout(timeout)
        if await self._api.resolve() == "rest":
            raise UnsupportedOperationError(_REST_LIST)
        found: dict[str, None] = {}
        if kind == "muc":
            assert visible_to is not None
            index = 0
            while True:
                call = graphql.list_muc_rooms(muc_domain, visible_to, _LIST_PAGE, index)
                page = await self._listing(call, graphql.parse_list_muc_rooms, call_timeout)
                found.update(dict.fromkeys(page.jids))
                index += _LIST_PAGE
                if page.count is None or index >= page.count:
                    return builtins.list(found)
        after: str | None = None
        while True:
            call = graphql.list_muc_light_rooms(muc_domain, after, _LIST_PAGE)
            try:
                page = await self._listing(call, graphql.parse_list_muc_light_rooms, call_timeout)
            except ApiError as exc:
                if exc.code in ("unknown_field", "excess_args"):
                    raise UnsupportedOperationError(_NO_MUC_LIGHT_LIST) from exc
                raise
            found.update(dict.fromkeys(page.jids))
            if not page.next_page or not page.jids:
                return builtins.list(found)
            after = page.jids[-1]

    async def _listing(
        self,
        call: GraphQLCall,
        parse: Callable[[dict[str, Any], int, bytes], RoomsPage],
        timeout: aiohttp.ClientTimeout | None,
    ) -> RoomsPage:
        data, status, body = await self._transport.graphql(call, timeout)
        return self._transport.guard(parse, data, status, body)

    async def _page(
        self,
        kind: RoomKind,
        room: str,
        before_us: int | None,
        limit: int | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> tuple[MessageList, int | None]:
        if limit == 0:  # PosInt: the server refuses 0
            return MessageList(), 0
        call = graphql.recent(kind, room, before_us, limit)
        data, status, body = await self._transport.graphql(call, timeout)
        return self._transport.guard(graphql.parse_recent, kind, data, status, body)
