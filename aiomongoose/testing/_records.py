"""The request log of the fake server."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["RecordedRequest"]


@attrs.define
class RecordedRequest:
    """One request that reached :class:`~aiomongoose.testing.FakeMongooseIM`.

    Every request is logged before it is handled, whatever it holds; the server keeps the
    last ``request_log_size`` of them (see :attr:`FakeMongooseIM.requests
    <aiomongoose.testing.FakeMongooseIM.requests>`).

    - ``method``: the HTTP method.
    - ``path``: the raw path, still percent-encoded (``/api/messages/a@b.lit%2Fphone``).
    - ``segments``: the path split on ``/`` and percent-decoded
      (``("api", "messages", "a@b.lit/phone")``).
    - ``query``: the decoded query string; a repeated key keeps its last value.
    - ``headers``: the request headers, names lower-cased; a repeated header keeps its last value.
    - ``body``: the raw request body; ``json``: the body decoded as JSON (at any depth,
      integers of any length), or ``None`` when it is empty or not JSON.
    - ``status``: the answer's status, set when the answer starts (for an SSE stream, when
      its headers are sent); ``None`` while the request is being handled and for a
      connection dropped before any answer.
    - ``fault``: the injected fault that answered it (``"fail"``, ``"drop-before"``,
      ``"drop-during"``, ``"malformed"``, or ``"drop-stream"`` for an SSE stream broken off by
      ``drop_stream_after``), or ``None``.
    """

    method: str
    path: str
    segments: tuple[str, ...]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    status: int | None = None
    fault: str | None = None
