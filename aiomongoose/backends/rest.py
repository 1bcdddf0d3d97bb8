"""REST (MongooseIM 3.x to 6.5): ``/messages`` and ``/users``, second-granular paging."""

from __future__ import annotations

from datetime import datetime

import aiohttp

from .._converter import encode_message, parse_archive, parse_json
from .._http import Transport
from .._validate import before_seconds
from ..errors import BadRequestError, ProtocolError
from ..history import Fetch
from ..models import Message, MessageList
from ..pagination import BackwardPager

__all__ = ["RestBackend"]


class RestBackend:
    """The REST admin API under the client's base URL."""

    name = "rest"

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def send(self, message: Message, timeout: aiohttp.ClientTimeout | None) -> None:
        # 204 with an empty body: REST reports no id.
        await self._transport.request(
            "POST", ["messages"], body=encode_message(message), timeout=timeout
        )

    async def recent(
        self,
        owner: str,
        with_: str | None,
        before: int | datetime | None,
        limit: int | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> MessageList:
        status, body = await self._transport.request(
            "GET",
            _segments(owner, with_),
            params=_query(before_seconds(before), limit),
            timeout=timeout,
        )
        return parse_archive(body, status)

    def history_parts(
        self,
        owner: str,
        with_: str | None,
        before: int | datetime | None,
        page_size: int | None,
        cursor: object | None,
        timeout: aiohttp.ClientTimeout | None,
    ) -> tuple[Fetch, BackwardPager]:
        segments = _segments(owner, with_)
        pager = BackwardPager.start(before_seconds(before), page_size, cursor)

        async def fetch(before_s: int | None, limit: int | None) -> tuple[MessageList, None]:
            status, body = await self._transport.request(
                "GET", segments, params=_query(before_s, limit), timeout=timeout
            )
            return parse_archive(body, status), None

        return fetch, pager

    async def list_users(self, domain: str, timeout: aiohttp.ClientTimeout | None) -> list[str]:
        status, body = await self._transport.request("GET", ["users", domain], timeout=timeout)
        data = parse_json(body, status)
        if type(data) is list and all(type(item) is str for item in data):
            return data
        if type(data) is list and data and all(type(item) is int for item in data):
            # 6.5 answers an unknown domain with 200 and the character codes of
            # "Domain does not exist": an Erlang string encoded as a JSON list.
            text = "".join(chr(c) for c in data if 0 <= c < 0x110000)
            url = str(self._transport.url(["users", domain]))
            raise BadRequestError(status, text, method="GET", url=url)
        raise ProtocolError("expected a JSON array of JIDs", status=status, body=body)


def _segments(owner: str, with_: str | None) -> list[str]:
    return ["messages", owner] if with_ is None else ["messages", owner, with_]


def _query(before: int | None, limit: int | None) -> dict[str, int]:
    # Only the documented keys: the server rejects or silently ignores anything else.
    params: dict[str, int] = {}
    if before is not None:
        params["before"] = before
    if limit is not None:
        params["limit"] = limit
    return params
