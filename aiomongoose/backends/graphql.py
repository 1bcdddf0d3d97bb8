"""GraphQL (MongooseIM 6.0 and later; the only HTTP API from 6.6): ``POST /graphql``.

Two operations of the ``stanza`` category and one of ``account``, written by hand as
constant documents with variables (see :mod:`aiomongoose._graphql`). Every answer is
checked for ``errors``, whatever its status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp

from .. import _graphql as gql
from .._converter import dumps
from .._http import Transport
from .._validate import before_microseconds
from ..errors import ProtocolError
from ..history import Fetch
from ..models import Message, MessageList
from ..pagination_graphql import GraphQLPager

__all__ = ["GraphQLBackend"]

_PATH = ["graphql"]


class GraphQLBackend:
    """The GraphQL admin API at ``{base_url}/graphql``."""

    name = "graphql"

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._url = str(transport.url(_PATH))  # named in errors

    async def _call(
        self,
        operation: str,
        document: str,
        variables: dict[str, Any],
        timeout: aiohttp.ClientTimeout | None,
        *,
        reads: bool,
    ) -> tuple[dict[str, Any], int, bytes]:
        payload = {"query": document, "variables": variables, "operationName": operation}
        status, body = await self._transport.request(
            "POST",
            _PATH,
            body=dumps(payload),
            timeout=timeout,
            idempotent=reads,  # a query only reads: retried like a GET; a mutation is not
            raise_for_status=False,
        )
        return gql.check(status, body, method="POST", url=self._url), status, body

    async def send(self, message: Message, timeout: aiohttp.ClientTimeout | None) -> str:
        variables = {"from": message.caller, "to": message.to, "body": message.body}
        data, status, body = await self._call(
            "SendMessage", gql.SEND_MESSAGE, variables, timeout, reads=False
        )
        return gql.parse_sent_id(data, status, body)

    async def _page(
        self,
        owner: str,
        with_: str | None,
        before_us: int | None,
        limit: int | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> tuple[MessageList, int | None]:
        if limit == 0:  # PosInt: the server rejects 0; REST answers an empty page
            return MessageList(), 0
        variables: dict[str, Any] = {"caller": owner}
        if with_ is not None:
            variables["with"] = with_
        if limit is not None:
            variables["limit"] = limit
        if before_us is not None:
            variables["before"] = gql.format_datetime_us(before_us)
        data, status, body = await self._call(
            "LastMessages", gql.LAST_MESSAGES, variables, timeout, reads=True
        )
        return gql.parse_last_messages(data, status, body)

    async def recent(
        self,
        owner: str,
        with_: str | None,
        before: int | datetime | None,
        limit: int | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> MessageList:
        page, _ = await self._page(owner, with_, before_microseconds(before), limit, timeout)
        return page

    def history_parts(
        self,
        owner: str,
        with_: str | None,
        before: int | datetime | None,
        page_size: int | None,
        cursor: object | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> tuple[Fetch, GraphQLPager]:
        pager = GraphQLPager.start(before_microseconds(before), page_size, cursor)

        async def fetch(before_us: int | None, limit: int | None) -> tuple[MessageList, int | None]:
            return await self._page(owner, with_, before_us, limit, timeout)

        return fetch, pager

    async def list_users(self, domain: str, timeout: aiohttp.ClientTimeout | None) -> list[str]:
        data, status, body = await self._call(
            "ListUsers", gql.LIST_USERS, {"domain": domain}, timeout, reads=True
        )
        account = data.get("account")
        users = account.get("listUsers") if isinstance(account, dict) else None
        if type(users) is not list or not all(type(u) is str for u in users):
            raise ProtocolError(
                "expected account.listUsers to be a list of JIDs", status=status, body=body
            )
        return users
