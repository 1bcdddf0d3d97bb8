"""What a pager tells :class:`~aiomongoose.paging.history.History` besides new messages."""

from __future__ import annotations

__all__ = ["Inconsistent", "StallDetected"]


class StallDetected(Exception):
    """A page's worth of messages sits within ~1.5 s of ``timestamp``: nothing steps past."""

    def __init__(
        self,
        timestamp: int,
        delivered_at_timestamp: int,
        reason: str = "more messages than one page sit within about 1.5 s, so no "
        "second-granular `before` can step past them",
    ) -> None:
        self.timestamp = timestamp
        self.delivered_at_timestamp = delivered_at_timestamp
        self.reason = reason
        super().__init__(timestamp, delivered_at_timestamp)


class Inconsistent(Exception):
    """A page contradicts the server's rules or earlier pages (e.g. the archive changed)."""
