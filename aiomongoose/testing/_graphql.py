"""The GraphQL admin endpoint, ``/api/graphql``, as MongooseIM answers it, without any I/O.

:meth:`GraphqlApi.handle` runs the steps of ``mongoose_graphql_cowboy_handler`` (a
``cowboy_rest`` handler) in their order:

1. Host match (empty 400), known method (else empty 501), ``GET``/``POST`` only (else empty
   405 with ``allow: GET, POST``).
2. Authorization: Basic credentials other than the configured ones, or any when none are
   configured, give 401 ``wrong_credentials``; a header Cowboy cannot parse (not Basic,
   Bearer or Digest, bad base64, no colon) 401 ``request_error``; both without ``path`` or
   Content-Type. No header (or Bearer) with configured credentials runs unauthorized: 401
   ``no_permissions`` after the variables are coerced. (MongooseIM checks only the
   operation named by ``operationName``, so a named operation sent without it appears to
   slip through there; the fake refuses it.)
3. ``Accept`` (``application/json`` or ``text/html``, else empty 406; unparsable: empty 400)
   and ``Accept-Charset`` (``utf-8``, else empty 406). Later answers carry
   ``content-type: application/json; charset=utf-8`` and ``vary: accept``.
4. ``POST``: ``Content-Type`` exactly ``application/json`` (else an empty 415); a JSON body
   (else 400 ``invalid_json_body``) that is an object (else the handler crashes: empty 500).
   As jiffy decodes it, the body and a ``variables`` string may nest to any depth and hold
   integers of any length (:mod:`._json`).
   ``GET`` reads the query string (queries and mutations alike); with ``Accept: text/html``
   it serves a placeholder page.
5. ``variables`` (an object, a JSON string of one, or null; other JSON strings: 400
   ``variables_invalid_json``; other values: 500), ``query`` (missing: 400
   ``no_query_supplied``; not a string: 500), then :mod:`._gql_engine` on graphql-core.

:meth:`GraphqlApi.prepare_sse` runs steps 2 and 5 for ``/api/graphql/sse`` (see
:mod:`._sse`). JSON answers are compact with sorted keys, as jiffy encodes Erlang maps.
graphql-core is imported on the first request that reaches step 5 (:func:`load_engine`):
the REST fake runs without it, and such a request then gets a 500 naming the ``testing``
extra.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs

from ._api import Reply, host_matches, parse_authorization
from ._json import loads
from ._state import AppState

if TYPE_CHECKING:
    from ._gql_engine import Prepared

__all__ = ["GraphQLUnavailableError", "GraphqlApi", "error_entry", "json_bytes", "load_engine"]

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_JSON = "application/json; charset=utf-8"
_VARY = (("vary", "accept"),)
_HTML_PAGE = b"<!DOCTYPE html><title>GraphiQL</title><p>FakeMongooseIM: POST your queries.</p>"
_MALFORMED_AUTH = "Malformed authorization header. Please consult the relevant specification"
_MISSING = object()


class GraphQLUnavailableError(ImportError):
    """The fake's GraphQL side is used, but graphql-core (the ``testing`` extra) is missing."""


def load_engine() -> ModuleType:
    """The GraphQL engine (:mod:`._gql_engine`), imported on first use: it needs graphql-core."""
    try:
        return importlib.import_module("._gql_engine", __package__)
    except ImportError as exc:
        if (exc.name or "").partition(".")[0] != "graphql":
            raise
        raise GraphQLUnavailableError(
            "FakeMongooseIM's GraphQL side needs graphql-core, which is not installed: "
            "pip install 'aiomongoose[testing]'"
        ) from exc


def error_entry(
    code: str, message: str, path: list[Any] | None, **extra: object
) -> dict[str, object]:
    """One ``errors`` entry: ``message``, ``extensions`` (``code`` and ``extra``), ``path``."""
    entry: dict[str, object] = {"message": message, "extensions": {"code": code, **extra}}
    if path is not None:
        entry["path"] = path
    return entry


class _Answer(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def json_bytes(value: object) -> bytes:
    """Compact JSON with sorted keys, as jiffy encodes an Erlang map."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.encode("utf-8", "replace")


def _errors_reply(status: int, entry: dict[str, object], content_type: str | None) -> Reply:
    headers = () if content_type is None else _VARY
    return Reply(status, json_bytes({"errors": [entry]}), content_type, headers)


def _accept_entries(header: str) -> list[tuple[float, int, str]]:
    entries = []
    for item in header.split(","):
        media, *params = (p.strip().lower() for p in item.split(";"))
        if "/" not in media:
            raise _Answer(Reply(400))  # Cowboy cannot parse the header
        quality, extra = 1.0, 0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    raise _Answer(Reply(400)) from None
            else:
                extra += 1
        if quality > 0 and not extra:
            entries.append((quality, (media != "*/*") + (not media.endswith("/*")), media))
    return sorted(entries, key=lambda e: (-e[0], -e[1]))


def _negotiate(accept: str | None, accept_charset: str | None) -> str:
    """``application/json`` or ``text/html``, the types the handler provides, in that order."""
    chosen = "application/json"
    if accept is not None:
        for _, _, media in _accept_entries(accept):
            if media in ("*/*", "application/*", "application/json"):
                break
            if media in ("text/*", "text/html"):
                chosen = "text/html"
                break
        else:
            raise _Answer(Reply(406))
    if accept_charset is not None:
        wanted = [c.split(";") for c in accept_charset.lower().replace(" ", "").split(",")]
        if not any(c[0] in ("utf-8", "*") and "q=0" not in c[1:] for c in wanted):
            raise _Answer(Reply(406))
    return chosen


class GraphqlApi:
    """MongooseIM's GraphQL admin endpoint over an :class:`AppState`."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def no_route(self, headers: Mapping[str, str]) -> Reply:
        """The answer of a version without REST to any other path: empty 400 or 404."""
        return Reply(404 if host_matches(self.state.host, headers) else 400)

    def handle(
        self,
        method: str,
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        """Answer one request to ``/api/graphql``; ``headers`` are case-insensitive."""
        if not host_matches(self.state.host, headers):
            return Reply(400)
        if method not in _KNOWN_METHODS:
            return Reply(501)
        if method not in ("GET", "POST"):
            return Reply(405, headers=(("allow", "GET, POST"),))
        try:
            authorized = self._authorize(headers.get("authorization"))
            media = _negotiate(headers.get("accept"), headers.get("accept-charset"))
            content_type = f"{media}; charset=utf-8"
            if method == "GET" and media == "text/html":
                return Reply(200, _HTML_PAGE, content_type, _VARY)
            if method == "POST":
                params = self._post_params(headers.get("content-type"), body)
            else:
                params = dict(query)
            status, answer = self._run(params, authorized)
            return Reply(status, answer, content_type, _VARY)
        except _Answer as answer:
            return answer.reply

    def _authorize(self, header: str | None) -> bool:
        kind, credentials = parse_authorization(header)
        if kind == "malformed":
            entry = error_entry("request_error", _MALFORMED_AUTH, None)
            raise _Answer(_errors_reply(401, entry, None))
        configured = self.state.auth
        if kind == "basic":
            expected = None if configured is None else tuple(p.encode() for p in configured)
            if credentials != expected:
                entry = error_entry("wrong_credentials", "The provided credentials are wrong", None)
                raise _Answer(_errors_reply(401, entry, None))
            return True
        return configured is None

    @staticmethod
    def _post_params(content_type: str | None, body: bytes) -> dict[str, object]:
        parts = [] if content_type is None else content_type.split(";")
        if len(parts) != 1 or parts[0].strip().lower() != "application/json":
            raise _Answer(Reply(415, content_type=_JSON, headers=_VARY))
        try:
            params = loads(body)
        except ValueError:
            entry = error_entry("invalid_json_body", "The request JSON body is invalid", None)
            raise _Answer(_errors_reply(400, entry, _JSON)) from None
        if not isinstance(params, dict):
            raise _Answer(Reply(500))  # the handler crashes (no clause for a non-object)
        return params

    def prepare_sse(
        self, query: Sequence[tuple[str, str]], headers: Mapping[str, str]
    ) -> Reply | Prepared:
        """The checks of ``mongoose_graphql_sse_handler`` before the first execution (for a
        GET that passed the Host match): the request's document ready to execute, or the
        error answer, which carries no Content-Type (lasse replies with no headers)."""
        try:
            authorized = self._authorize(headers.get("authorization"))
            prepared = self._prepare(dict(query), authorized, "sse")
        except _Answer as answer:
            return attrs.evolve(answer.reply, content_type=None, headers=())
        return Reply(*prepared) if isinstance(prepared, tuple) else prepared

    def _run(self, params: Mapping[str, object], authorized: bool) -> tuple[int, bytes]:
        prepared = self._prepare(params, authorized, "http")
        if isinstance(prepared, tuple):
            return prepared
        status, answer = load_engine().execute(prepared, self.state)
        return status, json_bytes(answer)

    def _prepare(
        self, params: Mapping[str, object], authorized: bool, method: str
    ) -> tuple[int, bytes] | Prepared:
        variables = self._variables(params.get("variables", _MISSING))
        document_text = params.get("query", _MISSING)
        if document_text is _MISSING:
            message = "The query was not supplied in the request body"
            return 400, json_bytes({"errors": [error_entry("no_query_supplied", message, None)]})
        if not isinstance(document_text, str):
            message = "GraphQL Internal Server Error"
            entry = error_entry("internal_server_error", message, None)
            return 500, json_bytes({"errors": [entry]})
        try:
            engine = load_engine()
        except GraphQLUnavailableError as exc:
            entry = error_entry("internal_server_error", str(exc), None)
            return 500, json_bytes({"errors": [entry]})
        prepared: tuple[int, dict[str, Any]] | Prepared = engine.prepare(
            self.state, document_text, params.get("operationName"), variables, authorized, method
        )
        if isinstance(prepared, tuple):
            return prepared[0], json_bytes(prepared[1])
        return prepared

    @staticmethod
    def _variables(raw: object) -> Mapping[str, object]:
        if raw is _MISSING or raw is None:
            return {}
        if isinstance(raw, dict):
            return raw
        if isinstance(raw, str):
            try:
                decoded = loads(raw)
            except ValueError:
                decoded = _MISSING
            if decoded is None:
                return {}
            if isinstance(decoded, dict):
                return decoded
            entry = error_entry("variables_invalid_json", "The variables' JSON is invalid", None)
            raise _Answer(_errors_reply(400, entry, _JSON))
        raise _Answer(Reply(500))  # the handler crashes (an `if` without a matching clause)
