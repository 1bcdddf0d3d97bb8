"""The ``export`` command's room and shard arguments: their definitions and checks."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Literal, NoReturn

from ..export import Room
from ..jid import validate_domain, validate_jid

__all__ = ["add_room_arguments", "room_sources"]


def _shard(text: str) -> tuple[int, int]:
    index, slash, count = text.partition("/")
    if not (slash and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError(f"expected I/N with 1 <= I <= N, not {text!r}")
    return int(index), int(count)


def add_room_arguments(ex: argparse.ArgumentParser) -> None:
    """``--room``, ``--kind``, ``--rooms-of``, ``--muc-domain``, ``--visible-to``, ``--shard``."""
    ex.add_argument(
        "--room", action="append", default=[], metavar="ROOM", help="a room's archive (repeat)"
    )
    ex.add_argument(
        "--kind",
        choices=["muc_light", "muc"],
        help="the kind of --room and --muc-domain rooms (default: muc_light for --room)",
    )
    ex.add_argument(
        "--rooms-of",
        action="append",
        default=[],
        metavar="USER",
        help="every MUC Light room of USER (repeat)",
    )
    ex.add_argument(
        "--muc-domain",
        metavar="D",
        help="every room of the service D: MUC with --visible-to, MUC Light with "
        "--kind muc_light (MongooseIM 6.8+)",
    )
    ex.add_argument(
        "--visible-to", metavar="JID", help="list --muc-domain's rooms as JID sees them"
    )
    ex.add_argument(
        "--shard",
        type=_shard,
        metavar="I/N",
        help="only the archives in shard I of N (1-based, a stable hash of the JID); "
        "-o all.jsonl becomes all.shard-I-of-N.jsonl",
    )


def room_sources(
    args: argparse.Namespace, error: Callable[[str], NoReturn]
) -> tuple[tuple[Room, ...], Literal["muc", "muc_light"]]:
    """The ``--room`` rooms and the kind of ``--muc-domain``'s rooms, checked (usage errors
    go to ``error``; a malformed JID raises :class:`~aiomongoose.errors.InvalidJIDError`)."""
    if args.visible_to is not None and args.muc_domain is None:
        error("--visible-to goes with --muc-domain")
    rooms = tuple(Room(jid, args.kind or "muc_light") for jid in args.room)
    for user in args.rooms_of:
        validate_jid(user, "--rooms-of")
    if args.muc_domain is None:
        return rooms, "muc"
    validate_domain(args.muc_domain, "--muc-domain")
    if args.visible_to is not None:
        if args.kind == "muc_light":
            error("--visible-to lists MUC rooms: it does not go with --kind muc_light")
        validate_jid(args.visible_to, "--visible-to")
        return rooms, "muc"
    if args.kind != "muc_light":
        error(
            "--muc-domain needs --visible-to JID (MUC lists the rooms that JID may see), "
            "or --kind muc_light (MUC Light, MongooseIM 6.8+)"
        )
    return rooms, "muc_light"
