"""The users API group: the users of a domain (REST ``/users``, GraphQL ``account``)."""

from __future__ import annotations

import aiohttp

from .._validate import as_timeout
from ..backends import BackendSlot
from ..jid import validate_domain

__all__ = ["Users"]


class Users:
    """Calls of the admin API's users group. Reach it as ``client.users``."""

    def __init__(self, backend: BackendSlot) -> None:
        self._backend = backend

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
        return await (await self._backend.get()).list_users(domain, call_timeout)
