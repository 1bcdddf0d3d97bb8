"""What REST answers showed of a server's page cap, per domain: :class:`CapFloor`."""

from __future__ import annotations

__all__ = ["CapFloor"]


class CapFloor:
    """The longest REST answer a client has seen, per domain of the archive's owner.

    The server's cap (``max_result_limit``) is set per host type, so every archive of a
    domain shares it: what one history or ``recent()`` call saw tells the next history of
    that domain that answers of that length are not the cap, which settles the end of a
    small archive that would otherwise be left in doubt.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    @staticmethod
    def _domain(owner: str) -> str:
        return owner.partition("/")[0].rpartition("@")[2].lower()

    def of(self, owner: str) -> int:
        return self._seen.get(self._domain(owner), 0)

    def saw(self, owner: str, length: int) -> None:
        domain = self._domain(owner)
        if length > self._seen.get(domain, 0):
            self._seen[domain] = length
