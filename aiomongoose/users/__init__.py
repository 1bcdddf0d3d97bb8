"""The users API group: the users of a domain (REST ``/users``, GraphQL ``account``)."""

from __future__ import annotations

import functools

import aiohttp

from .._api import Api
from .._transport import Transport
from .._validate import as_timeout
from ..jid import validate_domain
from . import graphql, rest

__all__ = ["Users"]


class Users:
    """Calls of the admin API's users group. Reach it as ``client.users``."""

    def __init__(self, transport: Transport, api: Api) -> None:
        self._transport = transport
        self._api = api

    async def list(
        self, domain: str, *, timeout: aiohttp.ClientTimeout | float | None = None
    ) -> list[str]:
        """The bare JIDs of ``domain``'s registered users.

        REST: ``GET /users/{domain}``; GraphQL: ``account.listUsers``. ``timeout`` (seconds
        or a ClientTimeout) overrides the client's for this call. Raises
        :class:`~aiomongoose.errors.BadRequestError` when the domain does not exist.
        """
        validate_domain(domain)
        call_timeout = as_timeout(timeout)
        if await self._api.resolve() == "rest":
            call = rest.list_users(domain)
            status, body = await self._transport.rest(call, call_timeout)
            url = str(self._transport.url(call.segments))
            parse = functools.partial(rest.parse_list_users, url=url)
            return self._transport.parse(parse, status, body)
        data, status, body = await self._transport.graphql(graphql.list_users(domain), call_timeout)
        return self._transport.guard(graphql.parse_list_users, data, status, body)
