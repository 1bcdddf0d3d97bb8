"""What an export reads: one-to-one archives (owners) and room archives, and how a
deployment is split into shards.

Inside the engine each archive is a :data:`Source`, ``(kind, jid)``: ``kind`` is
``"user"`` for an owner's archive, ``"muc_light"`` or ``"muc"`` for a room's.

**Shards** (``ExportOptions.shard=(i, n)``, ``--shard I/N``): an archive belongs to
shard :func:`shard_of` ``(jid, n)``. The hash is SHA-256 of the bare JID (the part before
the first ``/``) with the ASCII letters ``A``-``Z`` lower-cased and nothing else changed,
encoded as UTF-8; its first 8 bytes, read as a big-endian unsigned integer, modulo ``n``,
plus 1. It depends on nothing but those bytes: no ``hash()`` seed, no locale, no Unicode
tables (``str.lower()`` follows the interpreter's Unicode version, so it is not used),
hence the same on every machine and every Python version. The server reports JIDs
normalised (lower case), so each archive lands in one shard whatever the source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Literal

import attrs

from ..errors import InvalidArgumentError, InvalidJIDError
from ..jid import validate_jid

__all__ = ["Kind", "Room", "RoomKind", "Source", "in_shard", "shard_of"]

RoomKind = Literal["muc_light", "muc"]
Kind = Literal["user", "muc_light", "muc"]
Source = tuple[Kind, str]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _room_jid(_: object, __: attrs.Attribute[str], value: str) -> None:
    validate_jid(value, "room")
    if "@" not in value or "/" in value:
        raise InvalidJIDError(f"room must be a bare room JID (name@service), not {value!r}")


def _room_kind(_: object, __: attrs.Attribute[str], value: str) -> None:
    if value not in ("muc_light", "muc"):
        raise InvalidArgumentError(f"kind must be 'muc_light' or 'muc', not {value!r}")


@attrs.frozen
class Room:
    """A room archive to export: the room's bare JID and its kind (``"muc_light"``, the
    default, or ``"muc"``). Checked when built."""

    jid: str = attrs.field(validator=_room_jid)
    kind: RoomKind = attrs.field(default="muc_light", validator=_room_kind)

    @property
    def source(self) -> Source:
        """The room as an export source, ``(kind, jid)``: how checkpoints and shards key it
        (a one-to-one archive is ``("user", owner)``)."""
        return (self.kind, self.jid)


def shard_of(jid: str, count: int) -> int:
    """The shard (1 to ``count``) that ``jid``'s archive belongs to (see the module
    docstring for the exact, portable definition)."""
    if type(count) is not int or count < 1:
        raise InvalidArgumentError("the number of shards must be a positive int")
    bare = jid.partition("/")[0].translate(_ASCII_LOWER)
    digest = hashlib.sha256(bare.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(sources: Iterable[Source], shard: tuple[int, int] | None) -> list[Source]:
    """The sources of shard ``shard = (i, n)``, in their order (all of them for ``None``)."""
    if shard is None:
        return list(sources)
    index, count = shard
    return [source for source in sources if shard_of(source[1], count) == index]
