"""The users group over REST: ``GET /users/{domain}``, pure."""

from __future__ import annotations

from .._codec import parse_json
from .._wire import RestCall
from ..errors import BadRequestError, ProtocolError

__all__ = ["list_users", "parse_list_users"]


def list_users(domain: str) -> RestCall:
    return RestCall("GET", ("users", domain))


def parse_list_users(status: int, body: bytes, *, url: str) -> list[str]:
    """The domain's bare JIDs. 6.5 answers an unknown domain with 200 and the character
    codes of "Domain does not exist" (an Erlang string encoded as a JSON list): that is a
    :class:`BadRequestError` here (docs/server-behaviour.md, "REST errors")."""
    data = parse_json(body, status)
    if type(data) is list and all(type(item) is str for item in data):
        return data
    if type(data) is list and data and all(type(item) is int for item in data):
        text = "".join(chr(c) for c in data if 0 <= c < 0x110000)
        raise BadRequestError(status, text, method="GET", url=url)
    raise ProtocolError("expected a JSON array of JIDs", status=status, body=body)
