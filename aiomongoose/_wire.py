"""What a group's wire module builds: one REST request or one GraphQL operation.

The group folders (``messages/rest.py``, ``users/graphql.py``...) are pure: they turn
validated arguments into these values and answers into models. The transport sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["GraphQLCall", "RestCall"]


@attrs.frozen
class RestCall:
    """``method {base_url}/{segments...}?{params}`` with an optional JSON ``body``.

    Each segment travels percent-encoded as one path segment (a JID's ``/`` as ``%2F``).
    ``accept``, when set, is sent as the ``Accept`` header (the room routes answer 406 to
    a JSON-only ``Accept``).
    """

    method: str
    segments: tuple[str, ...]
    params: Mapping[str, int] | None = None
    body: bytes | None = None
    accept: str | None = None


@attrs.frozen
class GraphQLCall:
    """One operation ``POST``\\ ed to ``{base_url}/graphql``; values travel as variables.

    ``reads`` marks a query, which is retried like a GET; a mutation never is.
    """

    operation: str
    document: str
    variables: Mapping[str, Any]
    reads: bool
