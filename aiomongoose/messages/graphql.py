"""The messages group over GraphQL (MongooseIM 6.0+): the ``stanza`` category, pure.

The documents are constants; values only travel as variables (docs/server-behaviour.md,
"GraphQL reading and sending").
"""

from __future__ import annotations

from typing import Any

from .._codec import parse_graphql_records
from .._graphql import operation_result
from .._time import format_datetime_us
from .._wire import GraphQLCall
from ..errors import ProtocolError
from ..models import Message, MessageList

__all__ = ["LAST_MESSAGES", "SEND_MESSAGE", "parse_recent", "parse_send", "recent", "send"]

SEND_MESSAGE = (
    "mutation SendMessage($from: JID!, $to: JID!, $body: String!) "
    "{ stanza { sendMessage(from: $from, to: $to, body: $body) { id } } }"
)

LAST_MESSAGES = (
    "query LastMessages($caller: JID!, $with: JID, $limit: PosInt, $before: DateTime) "
    "{ stanza { getLastMessages(caller: $caller, with: $with, limit: $limit, before: $before) "
    "{ stanzas { sender timestamp stanza_id stanza } limit } } }"
)


def send(message: Message) -> GraphQLCall:
    variables = {"from": message.caller, "to": message.to, "body": message.body}
    return GraphQLCall("SendMessage", SEND_MESSAGE, variables, reads=False)


def parse_send(data: dict[str, Any], status: int, body: bytes) -> str:
    """The stanza id the server generated for the message sent."""
    result = operation_result(data, "stanza", "sendMessage", status, body)
    if not isinstance(result, dict) or type(result.get("id")) is not str:
        raise ProtocolError("sendMessage answered without an id", status=status, body=body)
    return str(result["id"])


def recent(owner: str, with_: str | None, before_us: int | None, limit: int | None) -> GraphQLCall:
    """One page of ``owner``'s archive; ``before_us`` in microseconds (inclusive).
    ``limit`` must be positive (``PosInt``): callers answer a limit of 0 themselves."""
    variables: dict[str, Any] = {"caller": owner}
    if with_ is not None:
        variables["with"] = with_
    if limit is not None:
        variables["limit"] = limit
    if before_us is not None:
        variables["before"] = format_datetime_us(before_us)
    return GraphQLCall("LastMessages", LAST_MESSAGES, variables, reads=True)


def parse_recent(data: dict[str, Any], status: int, body: bytes) -> tuple[MessageList, int | None]:
    """The page (oldest first) and the ``limit`` the server says it applied."""
    result = operation_result(data, "stanza", "getLastMessages", status, body)
    if not isinstance(result, dict):
        raise ProtocolError("malformed getLastMessages payload", status=status, body=body)
    stanzas, limit = result.get("stanzas"), result.get("limit")
    if type(stanzas) is not list or not (limit is None or type(limit) is int):
        raise ProtocolError("malformed getLastMessages payload", status=status, body=body)
    return parse_graphql_records(stanzas, status, body), limit
