"""GraphQL's answer envelope: ``data``, or ``errors`` mapped to our exceptions.

Pure: :func:`check` takes a status and body and returns the ``data`` object or raises. The
documents and the reading of each operation's result live in the group folders
(``messages/graphql.py``, ``users/graphql.py``). MongooseIM answers resolver errors with
HTTP 200 and an ``errors`` list (docs/server-behaviour.md, "GraphQL transport and
documents"), so every answer is checked, whatever its status.
"""

from __future__ import annotations

from typing import Any

from ._codec import parse_json
from .errors import (
    ApiError,
    BadRequestError,
    FeatureDisabledError,
    ForbiddenError,
    NotFoundError,
    ProtocolError,
    UnauthorizedError,
    error_for,
)

__all__ = ["check", "operation_result"]

# GraphQL error codes of a 200 answer -> our classes (unknown_user is a 400 on REST).
_BY_CODE: dict[str, type[ApiError]] = {
    "unknown_user": BadRequestError,
    "invalid_sender": BadRequestError,
    "domain_not_found": BadRequestError,  # account.listUsers; REST: "Domain does not exist"
    "bad_request": BadRequestError,
    # The room categories (docs/server-behaviour.md, "Room archives"): REST answers the
    # same mistakes 400, 404, 404 and 403.
    "user_not_found": BadRequestError,
    "muc_server_not_found": NotFoundError,
    "room_not_found": NotFoundError,
    "not_room_member": ForbiddenError,
    "not_allowed": ForbiddenError,
    "no_permissions": UnauthorizedError,
    "wrong_credentials": UnauthorizedError,
    "deps_not_loaded": FeatureDisabledError,
    "category_disabled": FeatureDisabledError,
}


def _graphql_error(status: int, body: bytes, data: Any, method: str, url: str) -> ApiError | None:
    """The ApiError for an answer (``data``: its decoded JSON, or None) that carries
    ``errors``, or has a non-2xx status."""
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
    try:
        data = parse_json(body, status)
    except ProtocolError:
        if status < 300:
            raise
        data = None  # an error status with a body that is not JSON
    if status < 300 and type(data) is dict and "errors" not in data:
        result = data.get("data")
        if type(result) is dict:
            return result  # the usual answer: nothing to map
    error = _graphql_error(status, body, data, method, url)
    if error is not None:
        raise error
    result = data.get("data") if isinstance(data, dict) else None
    if not isinstance(result, dict):
        raise ProtocolError("expected a GraphQL answer with data", status=status, body=body)
    return result


def operation_result(
    data: dict[str, Any], category: str, name: str, status: int, body: bytes
) -> Any:
    """``data[category][name]``, or :class:`ProtocolError` when the answer lacks it."""
    group = data.get(category)
    if not isinstance(group, dict) or name not in group:
        raise ProtocolError(f"GraphQL answer without {category}.{name}", status=status, body=body)
    return group[name]
