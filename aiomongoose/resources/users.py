"""The users API group: ``GET /users/{domain}``."""

from __future__ import annotations

import aiohttp

from .._converter import parse_json
from .._http import Transport
from .._validate import as_timeout
from ..errors import BadRequestError, InvalidJIDError, ProtocolError
from ..jid import validate_jid

__all__ = ["Users"]


class Users:
    """Calls of the admin API's users group. Reach it as ``client.users``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self, domain: str, *, timeout: aiohttp.ClientTimeout | float | None = None
    ) -> list[str]:
        """The bare JIDs of ``domain``'s registered users (``GET /users/{domain}``).

        ``timeout`` (seconds or a ClientTimeout) overrides the client's for this call.
        Raises :class:`~aiomongoose.errors.BadRequestError` when the domain does not exist.
        """
        validate_jid(domain, "domain")
        if "@" in domain or "/" in domain:
            raise InvalidJIDError(f"domain must be a bare domain, not {domain!r}")
        call_timeout = as_timeout(timeout)
        status, body = await self._transport.request("GET", ["users", domain], timeout=call_timeout)
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
