"""Unix microseconds <-> aware UTC datetimes and RFC 3339 text, exactly (no float between)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "LAST_SECOND",
    "LAST_US",
    "format_datetime_us",
    "parse_datetime",
    "from_microseconds",
    "parse_datetime_us",
    "rounded_seconds",
    "to_microseconds",
]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: 9999-12-31T23:59:59Z and .999999Z: the last instants a datetime (and RFC 3339) can hold.
#: An archive's times lie between the epoch (ids are unsigned) and these.
LAST_SECOND = 253_402_300_799
LAST_US = 253_402_300_799_999_999
_US = timedelta(microseconds=1)


def to_microseconds(moment: datetime) -> int:
    """An aware datetime as Unix microseconds."""
    return (moment - EPOCH) // _US


def from_microseconds(time_us: int) -> datetime:
    """Unix microseconds as an aware UTC datetime."""
    return EPOCH + time_us * _US


def rounded_seconds(time_us: int) -> int:
    """Seconds rounded half up, as the REST API reports an archived message's time
    (docs/server-behaviour.md, "Timestamps, before and limit")."""
    return (time_us + 500_000) // 1_000_000


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
        shown = text if len(text) <= 40 else text[:40] + "..."  # "...": clipped (redaction)
        raise ValueError(f"not an RFC 3339 date-time with an offset: {shown!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, zulu, sign, off_h, off_m = match.group(7, 8, 9, 10, 11)
    offset = timedelta(0) if zulu else timedelta(hours=int(off_h), minutes=int(off_m))
    if sign == "-":
        offset = -offset
    value = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    micros = int((fraction or "")[:6].ljust(6, "0"))  # beyond microseconds: truncated
    return to_microseconds(value) + micros


_SERVER_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", re.ASCII).fullmatch


def parse_datetime(text: Any) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime (microseconds kept)."""
    if type(text) is str and _SERVER_FORM(text) is not None:
        # The form MongooseIM writes (six fraction digits, Z), which every Python's
        # fromisoformat reads once the Z is gone.
        try:
            return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
        except ValueError:
            pass  # out of range (a 30th of February): the general parser says so
    return from_microseconds(parse_datetime_us(text))
