"""The REST pager's cursor: :class:`CursorState`, what :class:`.seconds.BackwardPager` knows.

The state is the delivered suffix of the archive (its bound, the oldest delivered second and
how many delivered messages report it) plus what was learnt of the server's cap. It goes to
JSON and back through :meth:`CursorState.to_json` and :meth:`CursorState.from_json`, which
also reads the cursors of aiomongoose 1.x (version 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._codec import STRUCTURE_ERRORS, structure_strict
from ..errors import InvalidArgumentError

__all__ = ["BELOW", "DEFAULT_PAGE_SIZE", "ESCAPE", "NORMAL", "CursorState"]

# MongooseIM 6.x's default max_result_limit: the page size the pager asks for by default.
DEFAULT_PAGE_SIZE = 50
_CURSOR_VERSION = 2
# What the pager's next request is (see :mod:`.seconds`'s docstring).
NORMAL, ESCAPE, BELOW = 0, 1, 2

_count = attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(0))
_optional_count = attrs.validators.optional(_count)


# Validators run when a cursor is built (from JSON included), not on the pager's updates.
@attrs.define(on_setattr=attrs.setters.NO_OP)
class CursorState:
    """Everything needed to resume paging; JSON-serialisable through :meth:`to_json`."""

    upper: int | None = attrs.field(default=None, validator=_optional_count)
    # reported second of the oldest delivered message, and how many delivered report it
    oldest: int | None = attrs.field(default=None, validator=_optional_count)
    at_oldest: int = attrs.field(default=0, validator=_count)
    # page_size: the `limit` of ordinary requests
    limit: int = attrs.field(default=DEFAULT_PAGE_SIZE, validator=attrs.validators.ge(1))
    # the longest answer seen: the server's cap is at least this; proven exact or not
    cap_seen: int = attrs.field(default=0, validator=_count)
    cap_exact: bool = False
    # the length of the last answer if it was shorter than its limit
    short_page: int | None = attrs.field(default=None, validator=_optional_count)
    phase: int = attrs.field(
        default=NORMAL, validator=attrs.validators.in_((NORMAL, ESCAPE, BELOW))
    )
    done: bool = False

    def __attrs_post_init__(self) -> None:
        if (self.oldest is None) != (self.at_oldest == 0) or (
            self.phase != NORMAL and self.oldest is None
        ):
            raise ValueError("oldest, at_oldest and phase do not fit together")

    def to_json(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["v"] = _CURSOR_VERSION
        return data

    @classmethod
    def from_json(cls, data: object) -> CursorState:
        if not isinstance(data, Mapping) or type(data.get("v")) is not int:
            raise InvalidArgumentError("not a history cursor")
        if data["v"] == 1:
            data = _from_version_1(data)
        elif data["v"] != _CURSOR_VERSION:
            raise InvalidArgumentError("a history cursor from another version of aiomongoose")
        fields = {k: v for k, v in data.items() if k != "v"}
        try:
            return structure_strict(fields, cls)
        except STRUCTURE_ERRORS as exc:
            raise InvalidArgumentError(f"bad history cursor: {exc}") from None


def _from_version_1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A cursor written by aiomongoose 1.x: the same suffix, less knowledge of the server."""
    known = {"v", "upper", "oldest", "at_oldest", "max_page", "limit", "probing", "done"}
    unknown = set(data) - known
    if unknown:
        raise InvalidArgumentError(f"unknown history cursor key {sorted(unknown)[0]!r}")
    out = {k: data[k] for k in ("upper", "oldest", "at_oldest", "done") if k in data}
    if data.get("limit") is not None:
        out["limit"] = data["limit"]
    if "max_page" in data:
        out["cap_seen"] = data["max_page"]
    out["v"] = _CURSOR_VERSION
    return out
