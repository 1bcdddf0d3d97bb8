"""Argument checks shared by the resources; each raises before any request is made."""

from __future__ import annotations

import math
from datetime import datetime

import aiohttp

from ._time import LAST_SECOND, LAST_US, to_microseconds
from .errors import InvalidArgumentError

__all__ = [
    "as_timeout",
    "body_text",
    "before_microseconds",
    "before_seconds",
    "history_options",
    "non_negative_int",
    "positive_int",
]

# The largest integer sent as a query parameter: a signed 64-bit value, what the server's
# storage can hold. Bigger Python ints would not even print (int_max_str_digits).
MAX_INT = 2**63 - 1


def as_timeout(timeout: float | aiohttp.ClientTimeout | None) -> aiohttp.ClientTimeout | None:
    """Seconds (a total timeout) or a ClientTimeout as a ClientTimeout; None stays None."""
    if timeout is None or isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        try:
            seconds = float(timeout)
        except OverflowError:  # an int too large for a float
            seconds = math.inf
        if 0 < seconds < math.inf:
            return aiohttp.ClientTimeout(total=timeout)
    raise InvalidArgumentError(
        "timeout must be a positive, finite number of seconds or a ClientTimeout"
    )


def before_seconds(before: int | datetime | None) -> int | None:
    """``before`` as whole Unix seconds: an int as is, an aware datetime floored.

    Flooring keeps the bound inclusive without reaching past the given instant: the REST
    API only takes whole seconds.
    """
    if before is None:
        return None
    if isinstance(before, datetime):
        if before.tzinfo is None or before.utcoffset() is None:
            raise InvalidArgumentError("before must be an aware datetime (give it a tzinfo)")
        seconds = math.floor(before.timestamp())
        if seconds < 0:
            raise InvalidArgumentError("before must not be negative (earlier than 1970)")
        return seconds
    if type(before) is not int:
        raise InvalidArgumentError(
            "before must be an int (Unix seconds) or an aware datetime, "
            f"not {type(before).__name__}"
        )
    if before < 0:
        raise InvalidArgumentError("before must not be negative")
    if before > MAX_INT:
        raise InvalidArgumentError("before is too large (more than 2**63 - 1)")
    return before


def before_microseconds(before: int | datetime | None) -> int | None:
    """``before`` as Unix microseconds: an int's whole second, an aware datetime exactly."""
    seconds = before_seconds(before)  # the same checks
    if seconds is None:
        return None
    if isinstance(before, datetime):
        time_us = to_microseconds(before)
        if time_us > LAST_US:  # e.g. 9999-12-31T23:30-01:00, whose UTC is in the year 10000
            raise InvalidArgumentError("before is after the year 9999 (UTC)")
        return time_us
    if seconds > LAST_SECOND:
        raise InvalidArgumentError("before is after the year 9999")
    return seconds * 1_000_000


def non_negative_int(value: object, name: str) -> int:
    if type(value) is not int:  # bool is an int subclass: rejected on purpose
        raise InvalidArgumentError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise InvalidArgumentError(f"{name} must not be negative")
    if value > MAX_INT:
        raise InvalidArgumentError(f"{name} is too large (more than 2**63 - 1)")
    return value


def positive_int(value: object, name: str) -> int:
    if non_negative_int(value, name) == 0:
        raise InvalidArgumentError(f"{name} must be positive")
    return value  # type: ignore[return-value]


def history_options(before: object, page_size: object, on_stall: object) -> None:
    """The arguments every ``history()`` takes besides its archive: ``before`` (seconds or
    an aware datetime), ``page_size`` (positive or None), ``on_stall`` ("raise" or "skip")."""
    before_seconds(before)  # type: ignore[arg-type]
    if page_size is not None:
        positive_int(page_size, "page_size")
    if on_stall not in ("raise", "skip"):
        raise InvalidArgumentError("on_stall must be 'raise' or 'skip'")


def body_text(value: object, name: str = "body") -> str:
    """A message body: any Unicode text that XML can carry (no NUL, no lone surrogate)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{name} must be a str, not {type(value).__name__}")
    if "\x00" in value:
        raise InvalidArgumentError(f"{name} may not contain NUL characters (XML cannot carry them)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(
            f"{name} holds a lone surrogate: not valid Unicode text"
        ) from None
    return value
