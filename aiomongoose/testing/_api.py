"""The REST admin API as MongooseIM answers it, without any I/O.

:meth:`RestApi.handle` takes the parts of a request and returns a :class:`Reply`. The checks
run in the order of the real server (Cowboy's host match and router, then cowboy_rest:
allowed methods, ``is_authorized``, content negotiation, content type; then the handler).
Every rule follows ``docs/server-behaviour.md`` (the REST sections).

Where that is silent the fake answers like Cowboy would: an unknown route, or a
``/messages`` path with more than two JID segments, gets an empty 404; a method other than
GET, POST or OPTIONS an empty 405 with ``Allow``; an ``Accept`` header that excludes JSON an
empty 406; a malformed percent-escape in the path an empty 400. One trailing ``/`` is
ignored. ``POST`` on ``/messages/{owner}`` sends like ``POST /messages`` (the handler ignores
the path). A JSON value of the wrong type (``"caller": 1``) is treated as an invalid JID, and
a non-string ``body`` as an invalid request body (the real server probably answers 500).

Inputs that Python's own limits would turn into a crash are read as the server reads them
(see :mod:`._json`): ``limit`` and ``before`` may have any number of digits (Erlang's
``binary_to_integer`` has no limit), and a JSON body may nest to any depth (jiffy) and
carry integers of any length. An ``Authorization`` header that Cowboy cannot parse gets an
empty 400 (see :func:`parse_authorization`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Literal
from urllib.parse import unquote_to_bytes

import attrs

from ._jid import ParsedJID, parse_jid
from ._json import loads, parse_integer
from ._rest_rooms import ROOM_ROUTES, accepts_html, send_to_room
from ._room_ops import RoomError
from ._routing import route_message
from ._state import AppState

__all__ = [
    "KNOWN_ATOMS",
    "AuthKind",
    "Reply",
    "RestApi",
    "host_matches",
    "parse_authorization",
    "split_path",
]

#: Keys that are atoms the Erlang VM already knows: unknown query or JSON keys that are one
#: of these are ignored, any other unknown key is rejected (a small stand-in for the atom table).
KNOWN_ATOMS = frozenset(
    "with limit before owner caller to body id type from jid user domain host name message "
    "messages timestamp sender message_id true false undefined error ok".split()
)
_ALLOWED = {"messages": ("OPTIONS", "GET", "POST"), "users": ("OPTIONS", "GET")}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_US = 1_000_000
_DEFAULT_LIMIT = 100
_DOMAIN_ERROR = "Domain does not exist"


@attrs.frozen
class Reply:
    """An answer: status, body, Content-Type (``None``: no such header) and other headers."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class _Error(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(status, text)
        self.status = status
        self.text = text


def split_path(raw_path: str) -> list[str] | None:
    """Percent-decode the segments of a raw path; ``None`` for a malformed escape.

    An escaped ``/`` (``%2F``) stays inside its segment. Bytes that are not UTF-8 decode to
    lone surrogates, which the JID parser rejects.
    """
    path = raw_path[1:] if raw_path.startswith("/") else raw_path
    if path.endswith("/"):
        path = path[:-1]
    if _BAD_ESCAPE.search(path):
        return None
    return [unquote_to_bytes(s).decode("utf-8", "surrogateescape") for s in path.split("/")]


def _hostname(value: str) -> str:
    if value.startswith("["):
        return value[: value.find("]") + 1].lower()
    name, colon, port = value.rpartition(":")
    return (name if colon and port.isdigit() else value).lower()


def host_matches(host: str | None, headers: Mapping[str, str]) -> bool:
    """Whether the Host header passes the listener's host match (``None``: any host)."""
    return host is None or _hostname(headers.get("host", "")) == host.lower()


#: How Cowboy reads an ``Authorization`` header: absent, Basic credentials, another scheme
#: it knows (Bearer, Digest), or a value it cannot parse.
AuthKind = Literal["none", "basic", "other", "malformed"]


def parse_authorization(header: str | None) -> tuple[AuthKind, tuple[bytes, bytes] | None]:
    """The kind of an ``Authorization`` header and, for Basic, the (user, password) bytes.

    As ``cow_http_hd:parse_authorization`` reads it: the scheme (Basic, Bearer or Digest, in
    any case) and one space, then for Basic a base64 token that Erlang's ``base64:decode``
    accepts and whose decoded bytes contain a ``:`` (the first one splits user from
    password). Anything else makes the parser crash: a scheme it does not know, a token
    with characters outside base64 (non-ASCII ones included) or bad padding, no colon.
    ``cowboy_req:parse_header`` turns that crash into a ``request_error`` exit. The GraphQL
    handler catches it (401 ``request_error``); the REST handlers do not, and Cowboy answers
    a request process that exits with ``request_error`` with an empty 400.
    """
    if header is None:
        return "none", None
    scheme, space, rest = header.partition(" ")
    token = rest.strip(" \t")
    if not space or not _TOKEN68.fullmatch(token):
        return ("other", None) if scheme.lower() == "digest" and space else ("malformed", None)
    if scheme.lower() == "bearer" or scheme.lower() == "digest":
        return "other", None
    if scheme.lower() != "basic":
        return "malformed", None
    try:
        decoded = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return "malformed", None
    user, colon, password = decoded.partition(b":")
    return ("basic", (user, password)) if colon else ("malformed", None)


def _accepts_json(accept: str | None) -> bool:
    if accept is None or not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = (p.strip().lower() for p in item.split(";"))
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            continue
        if media in ("*/*", "application/*", "application/json"):
            return True
    return False


def _is_json_type(content_type: str | None) -> bool:
    return content_type is not None and (
        content_type.split(";")[0].strip().lower() == "application/json"
    )


class RestApi:
    """The MongooseIM REST admin API over an :class:`AppState`."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def handle(
        self,
        method: str,
        raw_path: str,
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        """Answer one request. ``headers`` must be looked up case-insensitively."""
        state = self.state
        if not host_matches(state.host, headers):
            return Reply(400)  # "Host header": Cowboy's host match fails with an empty 400
        segments = split_path(raw_path)
        if segments is None:
            return Reply(400)
        routes = {**_ALLOWED, **(ROOM_ROUTES if state.profile.rest_rooms else {})}
        if len(segments) < 2 or segments[0] != "api" or segments[1] not in routes:
            return Reply(404)
        group, bindings = segments[1], segments[2:]
        if (group == "messages" and len(bindings) > 2) or (group == "users" and len(bindings) != 1):
            return Reply(404)
        rooms = group in ROOM_ROUTES
        if rooms and (len(bindings) != 3 or bindings[2] != "messages"):
            return Reply(404)  # the other room routes are not served
        allowed = routes[group]
        if method not in allowed:
            return Reply(405, headers=(("Allow", ", ".join(allowed)),))
        refused = self._refused_credentials(headers.get("authorization"))
        if refused is not None:
            return refused
        if not (accepts_html if rooms else _accepts_json)(headers.get("accept")):
            return Reply(406)
        if method == "OPTIONS":
            return Reply(200, headers=(("Allow", ", ".join(allowed)),))
        if method == "POST" and not _is_json_type(headers.get("content-type")):
            return Reply(415)
        if rooms:
            return self._room_send(group, bindings, method, body)
        try:
            if group == "users":
                return self._users(bindings[0])
            if method == "POST":
                return self._send(body)
            return self._read(bindings, query)
        except _Error as exc:
            status = exc.status
            if status == 400 and exc.text in self.state.profile.status_500:
                status = 500  # "Errors": 3.x answers an invalid owner with 500
            return self.error_reply(status, exc.text)

    def _room_send(self, group: str, bindings: list[str], method: str, body: bytes) -> Reply:
        if method != "POST":
            return Reply(404)  # PUT and DELETE act on other room routes: not served
        try:
            send_to_room(self.state, group, bindings, body, KNOWN_ATOMS)
        except RoomError as exc:
            return self.error_reply(exc.status, exc.message)
        return Reply(204)

    def error_reply(self, status: int, text: str) -> Reply:
        """An error answer in this version's format (JSON string or plain text)."""
        if self.state.profile.json_errors:
            # "Errors": 6.x bodies are JSON strings and carry no Content-Type.
            return Reply(status, json.dumps(text).encode())
        return Reply(status, text.encode(), "text/plain; charset=utf-8")

    def _refused_credentials(self, header: str | None) -> Reply | None:
        """The answer to credentials that are not accepted, or ``None``.

        "Authentication": Basic only; 6.x rejects credentials it has not been given, 3.x
        accepts anything when none are configured. Both parse the header first, whatever
        the configuration (``mongoose_api_common:get_auth_details``), without catching the
        parser's crash: a header Cowboy cannot parse is an empty 400 (no WWW-Authenticate).
        """
        kind, credentials = parse_authorization(header)
        if kind == "malformed":
            return Reply(400)
        configured = self.state.auth
        if configured is None:
            strict = self.state.profile.strict_unconfigured_auth
            accepted = not (kind == "basic" and strict)
        else:
            accepted = credentials == (configured[0].encode(), configured[1].encode())
        if accepted:
            return None
        return Reply(401, headers=(("WWW-Authenticate", 'Basic realm="mongooseim"'),))

    def _known_user(self, jid: ParsedJID) -> None:
        archive = self.state.archive
        if not archive.has_domain(jid.domain_key):
            raise _Error(400, "User's domain does not exist")
        if not archive.has_user(jid.key):
            raise _Error(400, "User does not exist")

    def _read(self, bindings: list[str], query: Sequence[tuple[str, str]]) -> Reply:
        if not bindings:
            raise _Error(404, "Missing owner JID")
        owner = parse_jid(bindings[0])
        if owner is None:
            raise _Error(400, "Invalid owner JID")
        peer: ParsedJID | None = None
        if len(bindings) == 2:
            peer = parse_jid(bindings[1])
            if peer is None:
                raise _Error(400, "Invalid interlocutor JID")
        args: dict[str, str] = {}
        for key, value in query:
            if key in ("limit", "before"):
                args[key] = value
            elif key not in KNOWN_ATOMS:  # "Errors": unknown keys that are known atoms pass
                raise _Error(400, "Invalid query string")
        limit = self._limit(args.get("limit"))
        before_us = self._before_us(args.get("before"))
        self._known_user(owner)
        # "{with}": a bare JID matches every resource of the peer, a full JID only that one.
        messages = self.state.archive.newest(
            owner.key,
            None if peer is None else peer.key,
            before_us,
            limit,
            with_resource=(peer.resource or None) if peer is not None else None,
        )
        body = json.dumps([m.to_record() for m in messages], ensure_ascii=False)
        return Reply(200, body.encode(), "application/json")

    def _limit(self, text: str | None) -> int:
        # binary_to_integer takes any number of digits (Erlang integers are unbounded), so a
        # huge `limit` is valid: 6.5 then lowers it to the cap, 3.x refuses it with a 500.
        if text is None:
            limit = _DEFAULT_LIMIT
        else:
            limit = parse_integer(text) if _INTEGER.fullmatch(text) else -1
            if limit < 0:
                raise _Error(400, "Invalid limit")
        profile = self.state.profile
        if profile.hard_limit is not None and limit > profile.hard_limit:
            raise _Error(500, "Invalid limit")  # "Timestamps, before and limit": 3.x
        if profile.capped:
            limit = min(limit, self.state.max_result_limit)  # 6.x: silently capped
        return limit

    def _before_us(self, text: str | None) -> int | None:
        # As for `limit`: any number of digits. A bound beyond every archive time selects
        # everything (below every time: nothing). MongooseIM hands such a bound on to the
        # archive backend, which may treat ids past 64 bits its own way; the fake compares.
        if text is not None and not _INTEGER.fullmatch(text):
            raise _Error(400, "Invalid value of 'before'")
        before = None if text is None else parse_integer(text)
        if self.state.profile.zero_before_is_now and not before:
            return self.state.clock.now_us() + _US * _US  # 3.x: now plus 10^6 seconds
        return None if before is None else before * _US

    def _send(self, body: bytes) -> Reply:
        try:
            # jiffy: any depth, integers of any length; a body that is not an object (at
            # whatever depth it nests) fails `{DecodedBody} = jiffy:decode(Body)` in the same
            # try as a decoding error, hence one answer for both.
            args = loads(body)
        except ValueError:
            raise _Error(400, "Invalid request body") from None
        if not isinstance(args, dict) or any(
            key not in KNOWN_ATOMS for key in args
        ):  # "Errors": unknown JSON keys
            raise _Error(400, "Invalid request body")
        caller = self._jid_arg(args, "caller", "sender")
        to = self._jid_arg(args, "to", "recipient")
        if "body" not in args:
            raise _Error(400, "Missing message body")
        text = args["body"]
        if not isinstance(text, str):
            raise _Error(400, "Invalid request body")
        self._known_user(caller)  # "Sending": the caller must be a local user
        state = self.state
        route_message(
            state, caller, args["caller"], to, args["to"],
            body=text, message_id=state.new_message_id(),
        )  # fmt: skip
        return Reply(204)

    @staticmethod
    def _jid_arg(args: dict[str, object], key: str, role: str) -> ParsedJID:
        if key not in args:
            raise _Error(400, f"Missing {role} JID")
        value = args[key]
        jid = parse_jid(value) if isinstance(value, str) else None
        if jid is None:
            raise _Error(400, f"Invalid {role} JID")
        return jid

    def _users(self, domain: str) -> Reply:
        users = self.state.archive.users_of(domain.lower())
        if users is None:
            # "Users of a domain": 6.5 encodes the Erlang string as a list of integers.
            codes = [ord(ch) for ch in _DOMAIN_ERROR]
            users_or_codes: list[str] | list[int] = (
                codes if self.state.profile.domain_error_as_codes else []
            )
            return Reply(200, json.dumps(users_or_codes).encode(), "application/json")
        return Reply(200, json.dumps(users, ensure_ascii=False).encode(), "application/json")
