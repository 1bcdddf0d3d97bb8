"""The messages group over REST (MongooseIM 3.x to 6.5): pure requests and answers.

``POST /messages`` sends; ``GET /messages/{owner}[/{with}]?before=&limit=`` reads, with
``before`` in whole seconds (docs/server-behaviour.md, "REST endpoints and records").
"""

from __future__ import annotations

from .._codec import encode_message, parse_archive
from .._wire import RestCall
from ..models import Message, MessageList

__all__ = ["parse_recent", "recent", "send"]


def send(message: Message) -> RestCall:
    """``POST /messages`` with exactly ``caller``, ``to`` and ``body`` (answered 204)."""
    return RestCall("POST", ("messages",), body=encode_message(message))


def recent(owner: str, with_: str | None, before: int | None, limit: int | None) -> RestCall:
    """One page of ``owner``'s archive, optionally with ``with_`` only; ``before`` in
    seconds (inclusive). Only the documented query keys: the server rejects, or silently
    ignores, anything else."""
    segments = ("messages", owner) if with_ is None else ("messages", owner, with_)
    params: dict[str, int] = {}
    if before is not None:
        params["before"] = before
    if limit is not None:
        params["limit"] = limit
    return RestCall("GET", segments, params=params)


def parse_recent(status: int, body: bytes) -> MessageList:
    """The page, oldest first, as the server sent it; ``ProtocolError`` when malformed."""
    return parse_archive(body, status)
