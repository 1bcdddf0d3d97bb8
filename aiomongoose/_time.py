"""Unix microseconds <-> aware UTC datetimes, exactly (no float in between)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = ["from_microseconds", "to_microseconds"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


def to_microseconds(moment: datetime) -> int:
    """An aware datetime as Unix microseconds."""
    return (moment - EPOCH) // _US


def from_microseconds(time_us: int) -> datetime:
    """Unix microseconds as an aware UTC datetime."""
    return EPOCH + time_us * _US
