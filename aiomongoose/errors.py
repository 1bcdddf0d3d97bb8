"""The exceptions aiomongoose raises, and the table that maps HTTP answers onto them.

::

    MongooseIMError
    ├── InvalidJIDError (also ValueError)     a JID that RFC 7622 rejects; raised before any request
    ├── InvalidArgumentError (also ValueError, TypeError)  any other argument that cannot be sent
    ├── ClientClosedError (also RuntimeError) the client was closed
    ├── EventLoopError (also RuntimeError)    used from a loop its session does not belong to
    ├── ApiError (.status, .message, .method, .url)
    │   ├── BadRequestError      400
    │   ├── UnauthorizedError    401
    │   ├── ForbiddenError       403
    │   ├── NotFoundError        404
    │   ├── ConflictError        409
    │   ├── FeatureDisabledError  GraphQL: a module or category the server lacks
    │   └── ServerError          5xx
    ├── TransportError       below HTTP, once retries gave up (the aiohttp error is ``__cause__``)
    │   ├── RequestTimeoutError    the connect or total timeout ran out
    │   └── ConnectionFailedError  refused, reset, DNS or TLS failure, cut before the answer ended
    ├── ProtocolError        a 2xx answer whose body is not what the API promises
    ├── PaginationError      history() cannot prove it can page past a burst of messages
    └── UnsupportedOperationError  the API spoken cannot do this (REST reading a room archive)

Every public call raises only these (and ``asyncio.CancelledError``).
"""

from __future__ import annotations

import json

__all__ = [
    "ApiError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ConnectionFailedError",
    "EventLoopError",
    "FeatureDisabledError",
    "ForbiddenError",
    "InvalidArgumentError",
    "InvalidJIDError",
    "MongooseIMError",
    "NotFoundError",
    "PaginationError",
    "ProtocolError",
    "RequestTimeoutError",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnsupportedOperationError",
    "error_for",
]


class MongooseIMError(Exception):
    """Base class of every exception raised by aiomongoose."""


class InvalidJIDError(MongooseIMError, ValueError):
    """A JID that the server would reject (RFC 7622 rules); raised before any request."""


class InvalidArgumentError(MongooseIMError, ValueError, TypeError):
    """An argument of the wrong type or value (``limit=-1``, ``limit=True``, a naive datetime).

    Raised before any request. It is both a ``ValueError`` and a ``TypeError`` so that either
    idiom catches it.
    """


class ClientClosedError(MongooseIMError, RuntimeError):
    """The client was used after ``close()``, or closed while the call waited for a slot or
    was in flight (on the session the client made)."""


class EventLoopError(MongooseIMError, RuntimeError):
    """The client was used from an event loop its session cannot serve.

    A session the client created is made again when its loop has closed (``asyncio.run``
    twice, a test framework's loop per test); this is raised when that loop is still open
    elsewhere (another thread), or for a session you gave, which is never replaced.
    """


class ApiError(MongooseIMError):
    """The server answered with an error status.

    ``message`` is the server's own text: the decoded JSON string of MongooseIM 6.x, or the
    plain text of 3.x-5.x (empty when the body was empty), or the first GraphQL error's
    message. ``code`` is that GraphQL error's ``extensions.code`` (``None`` on REST). A
    GraphQL answer with ``errors`` is an error even when its HTTP status is 200.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        method: str = "",
        url: str = "",
        hint: str = "",
        location: str | None = None,
        code: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        self.hint = hint
        self.location = location
        self.code = code
        super().__init__(status, message)

    def __str__(self) -> str:
        text = f"{self.status}"
        if self.code:
            text += f" [{self.code}]"
        if self.message:
            # A proxy's HTML page can be long: .message keeps it whole, the text an excerpt.
            shown = self.message
            if len(shown) > _EXCERPT * 2:
                shown = shown[: _EXCERPT * 2] + "..."
            text += f" {shown!r}"
        else:
            text += " (empty body)"
        if self.method or self.url:
            text += f" from {self.method} {self.url}".rstrip()
        if self.location is not None:
            text += f" (redirect to {self.location!r} not followed)"
        if self.hint:
            text += f"; {self.hint}"
        return text


class BadRequestError(ApiError):
    """400: the server rejected the request (invalid JID, unknown user or domain, ...)."""


class UnauthorizedError(ApiError):
    """401: wrong or missing credentials, or credentials sent to a server that has none."""


class ForbiddenError(ApiError):
    """403: the server denied the operation."""


class NotFoundError(ApiError):
    """404: no such resource (or, on 3.x-5.x, a route the server does not serve)."""


class ConflictError(ApiError):
    """409: the resource already exists."""


class FeatureDisabledError(ApiError):
    """The server lacks what the call needs (GraphQL ``deps_not_loaded``: a module such as
    ``mod_mam_pm`` is not enabled; ``category_disabled``: the endpoint disables the category).
    ``str()`` names the module or category."""


class ServerError(ApiError):
    """5xx: the server failed (MongooseIM 3.x also answers several bad requests with 500)."""


class TransportError(MongooseIMError):
    """The request failed below HTTP: connection refused or reset, DNS failure, timeout.

    Raised once the client's :class:`~aiomongoose.RetryPolicy` gives up; the text names the
    method and URL (and the number of tries when there were several).
    """


class RequestTimeoutError(TransportError):
    """A try ran out of time (to connect, or in all), and no retry was left or allowed."""


class ConnectionFailedError(TransportError):
    """The connection failed: refused, reset or dropped (also in the middle of an answer's
    body), a DNS or TLS failure."""


class ProtocolError(MongooseIMError):
    """A successful answer whose body is not what the API promises."""

    def __init__(self, reason: str, *, status: int | None = None, body: bytes = b"") -> None:
        self.reason = reason
        self.status = status
        self.excerpt = _excerpt(body)
        super().__init__(reason, status, self.excerpt)

    def __str__(self) -> str:
        where = f" (status {self.status})" if self.status is not None else ""
        return f"{self.reason}{where}; body starts {self.excerpt!r}"


class PaginationError(MongooseIMError):
    """history() could not prove that it can page past a window of messages.

    Raised when more messages than one page sit within about 1.5 seconds, so that no value
    of the second-granular ``before`` steps past them (see the documentation,
    docs/guides/history.rst).
    """

    def __init__(self, reason: str, *, owner: str, with_: str | None, timestamp: int) -> None:
        self.reason = reason
        self.owner = owner
        self.with_ = with_
        self.timestamp = timestamp
        super().__init__(reason, owner, with_, timestamp)

    def __str__(self) -> str:
        peer = f" with {self.with_}" if self.with_ else ""
        return f"archive of {self.owner}{peer} at timestamp {self.timestamp}: {self.reason}"


class UnsupportedOperationError(MongooseIMError):
    """The API the client speaks cannot do this at all, whatever the arguments.

    MongooseIM's REST admin API (3.x to 6.5) has no endpoint that reads a room archive or
    lists rooms: ``api="graphql"`` (MongooseIM 6.0+) has them. MUC Light ``listRooms``
    exists from MongooseIM 6.8. Raised before any request when the client already knows
    the API it speaks (``api="rest"``, or ``"auto"`` once probed).
    """


_EXCERPT = 120


def _excerpt(body: bytes) -> str:
    head = body[: _EXCERPT * 4]
    text = head.decode("utf-8", "replace")
    if len(text) <= _EXCERPT and len(head) == len(body):
        return text
    return text[:_EXCERPT] + "..."


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
}

_EMPTY_BODY_HINT = (
    "an empty 400/404 is what MongooseIM's default listener answers to a Host header "
    "other than 'localhost'; pass host_header='localhost' if the server is configured so"
)


def server_message(body: bytes) -> str:
    """The server's error text: a JSON string body (6.x) decoded, plain text (3.x-5.x) as is."""
    text = body.decode("utf-8", "replace")
    if text.startswith('"'):
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text


def error_for(
    status: int,
    body: bytes,
    *,
    method: str = "",
    url: str = "",
    location: str | None = None,
) -> ApiError:
    """Build the :class:`ApiError` subclass for an error answer."""
    if status >= 500:
        cls: type[ApiError] = ServerError
    else:
        cls = _BY_STATUS.get(status, ApiError)
    hint = _EMPTY_BODY_HINT if status in (400, 404) and not body.strip() else ""
    return cls(status, server_message(body), method=method, url=url, hint=hint, location=location)
