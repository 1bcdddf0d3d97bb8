"""GraphQL wire format: the two documents, their variables, and reading the answers.

The documents are constants; values only ever travel as variables (shared GraphQL note).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from ._converter import parse_json
from ._stanza import StanzaError, id_and_body
from ._time import from_microseconds, to_microseconds
from .errors import (
    ApiError,
    BadRequestError,
    FeatureDisabledError,
    ProtocolError,
    UnauthorizedError,
    error_for,
)
from .models import GraphQLArchivedMessage, MessageList

__all__ = [
    "LAST_MESSAGES",
    "LIST_USERS",
    "SEND_MESSAGE",
    "format_datetime_us",
    "parse_datetime_us",
    "parse_last_messages",
    "parse_sent_id",
]

SEND_MESSAGE = (
    "mutation SendMessage($from: JID!, $to: JID!, $body: String!) "
    "{ stanza { sendMessage(from: $from, to: $to, body: $body) { id } } }"
)

LAST_MESSAGES = (
    "query LastMessages($caller: JID!, $with: JID, $limit: PosInt, $before: DateTime) "
    "{ stanza { getLastMessages(caller: $caller, with: $with, limit: $limit, before: $before) "
    "{ stanzas { sender timestamp stanza_id stanza } limit } } }"
)

LIST_USERS = "query ListUsers($domain: DomainName!) { account { listUsers(domain: $domain) } }"


# GraphQL error codes of a 200 answer -> our classes (unknown_user is a 400 on REST).
_BY_CODE: dict[str, type[ApiError]] = {
    "unknown_user": BadRequestError,
    "invalid_sender": BadRequestError,
    "domain_not_found": BadRequestError,  # account.listUsers; REST: "Domain does not exist"
    "bad_request": BadRequestError,
    "no_permissions": UnauthorizedError,
    "wrong_credentials": UnauthorizedError,
    "deps_not_loaded": FeatureDisabledError,
    "category_disabled": FeatureDisabledError,
}


def format_datetime_us(time_us: int) -> str:
    """Microseconds since the epoch as RFC 3339 with six fraction digits and ``Z``."""
    return from_microseconds(time_us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# RFC 3339 date-time; parsed by hand because datetime.fromisoformat (3.10) only takes
# fractions of 3 or 6 digits.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def parse_datetime_us(text: Any) -> int:
    """An RFC 3339 date-time (with offset) as microseconds since the epoch."""
    if type(text) is not str:
        raise TypeError(f"expected a date-time string, got {type(text).__name__}")
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time with an offset: {text[:40]!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, zulu, sign, off_h, off_m = match.group(7, 8, 9, 10, 11)
    offset = timedelta(0) if zulu else timedelta(hours=int(off_h), minutes=int(off_m))
    if sign == "-":
        offset = -offset
    value = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    micros = int((fraction or "")[:6].ljust(6, "0"))  # beyond microseconds: truncated
    return to_microseconds(value) + micros


def _graphql_error(status: int, body: bytes, method: str, url: str) -> ApiError | None:
    """The ApiError for an answer that carries ``errors`` (or a non-2xx status)."""
    try:
        data = parse_json(body, status)
    except ProtocolError:
        data = None
    errors = data.get("errors") if isinstance(data, dict) else None
    if not errors:
        if status >= 300:
            return error_for(status, body, method=method, url=url)
        return None
    first = errors[0] if isinstance(errors, list) and isinstance(errors[0], dict) else {}
    raw_message = first.get("message")
    message: str = raw_message if isinstance(raw_message, str) else str(errors)[:200]
    extensions = first.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    code = code if isinstance(code, str) else None
    if status >= 300:
        cls: type[ApiError] = type(error_for(status, b""))
    else:
        cls = _BY_CODE.get(code or "", ApiError)
    hint = ""
    if cls is FeatureDisabledError:
        hint = _feature_hint(code, message, extensions)
    return cls(status, message, method=method, url=url, code=code, hint=hint)


def _feature_hint(code: str | None, message: str, extensions: Any) -> str:
    if code == "deps_not_loaded":
        modules = extensions.get("not_loaded_modules") if isinstance(extensions, dict) else None
        shown = ", ".join(map(str, modules)) if isinstance(modules, list) else "a module"
        return f"the server lacks {shown} (enable it in the server's configuration)"
    category = extensions.get("category") if isinstance(extensions, dict) else None
    shown = f"the GraphQL category {category!r}" if isinstance(category, str) else "this category"
    return f"the server has disabled {shown} for this endpoint (its allowed_categories)"


def check(status: int, body: bytes, *, method: str, url: str) -> dict[str, Any]:
    """Raise for any answer with ``errors``; return its ``data`` object otherwise."""
    error = _graphql_error(status, body, method, url)
    if error is not None:
        raise error
    data = parse_json(body, status)
    result = data.get("data") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        raise ProtocolError("expected a GraphQL answer with data", status=status, body=body)
    return result


def _operation(data: dict[str, Any], name: str, status: int, body: bytes) -> dict[str, Any]:
    stanza = data.get("stanza")
    result = stanza.get(name) if isinstance(stanza, dict) else None
    if not isinstance(result, dict):
        raise ProtocolError(f"GraphQL answer without stanza.{name}", status=status, body=body)
    return result


def parse_sent_id(data: dict[str, Any], status: int, body: bytes) -> str:
    result = _operation(data, "sendMessage", status, body)
    if type(result.get("id")) is not str:
        raise ProtocolError("sendMessage answered without an id", status=status, body=body)
    return str(result["id"])


def parse_last_messages(
    data: dict[str, Any], status: int, body: bytes
) -> tuple[MessageList, int | None]:
    """The page (oldest first) and the ``limit`` the server says it applied."""
    result = _operation(data, "getLastMessages", status, body)
    stanzas, limit = result.get("stanzas"), result.get("limit")
    if type(stanzas) is not list or not (limit is None or type(limit) is int):
        raise ProtocolError("malformed getLastMessages payload", status=status, body=body)
    try:
        return MessageList([_record(item) for item in stanzas]), limit
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError(
            f"malformed GraphQL message record ({type(exc).__name__}: {exc})",
            status=status,
            body=body,
        ) from exc


def _record(item: Any) -> GraphQLArchivedMessage:
    sender, stanza_id, stanza = item["sender"], item["stanza_id"], item["stanza"]
    if not (type(sender) is str and type(stanza_id) is str and type(stanza) is str):
        raise TypeError("sender, stanza_id and stanza must be strings")
    time_us = parse_datetime_us(item["timestamp"])
    try:
        message_id, body = id_and_body(stanza)
    except StanzaError as exc:
        raise ValueError(str(exc)) from None
    return GraphQLArchivedMessage(
        sender,
        (time_us + 500_000) // 1_000_000,  # rounded half up, as REST reports it
        message_id,
        body,
        stanza_id=stanza_id,
        stanza=stanza,
        timestamp_us=time_us,
    )
