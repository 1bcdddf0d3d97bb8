"""Output formats: one line (JSON Lines) or one record (CSV) per archived message.

A line names its archive, then ``sender``, ``timestamp``, ``message_id``, ``body``:

- JSON Lines: ``owner`` (a one-to-one archive, followed by ``with`` when the export is
  filtered) or ``room`` (a room archive), then the message's fields.
- CSV: a fixed header. ``owner`` (and ``with``) when the export reads one-to-one
  archives, ``room`` when it reads room archives, both when it reads both (the column of
  the other kind is then empty on each row).

A message without body is ``null`` in JSON Lines and an empty field in CSV (where it
cannot be told from an empty body). Text is UTF-8; a lone surrogate (possible only from a
``\\udXXX`` escape in the server's JSON) is written as that escape instead of failing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring as _json_str  # the C encoder; ensure_ascii=False
from typing import Literal

from ..models import ArchivedMessage
from ._options import Format

__all__ = ["LineEncoder"]

_MESSAGE_FIELDS = ("sender", "timestamp", "message_id", "body")
Field = Literal["owner", "room"]


def _utf8(text: str) -> bytes:
    # JSON: "\ud800" is the valid escape of a lone surrogate; CSV: the same text, readable.
    return text.encode("utf-8", "backslashreplace")


class LineEncoder:
    """Encodes the messages of one archive as output bytes, in the order given."""

    def __init__(
        self, format: Format, with_: str | None, *, owners: bool = True, rooms: bool = False
    ) -> None:
        self.format = format
        self._with = with_
        self._owners = owners or not rooms
        self._rooms = rooms

    @property
    def fields(self) -> tuple[str, ...]:
        """The CSV columns, in output order."""
        lead: list[str] = []
        if self._owners:
            lead += ["owner"] if self._with is None else ["owner", "with"]
        if self._rooms:
            lead.append("room")
        return (*lead, *_MESSAGE_FIELDS)

    def header(self) -> bytes:
        """What an empty output starts with: the CSV header line, nothing for JSON Lines."""
        if self.format == "jsonl":
            return b""
        return _utf8(self._csv([list(self.fields)]))

    def encode(
        self, name: str, messages: Iterable[ArchivedMessage], field: Field = "owner"
    ) -> bytes:
        """The lines of ``messages`` (in the order given) as those of the archive ``name``:
        an owner's (``field="owner"``) or a room's (``field="room"``). UTF-8."""
        if self.format == "csv":
            lead: list[str] = []
            if self._owners:
                owner = name if field == "owner" else ""
                with_ = self._with if field == "owner" else ""
                lead += [owner] if self._with is None else [owner, with_ or ""]
            if self._rooms:
                lead.append(name if field == "room" else "")
            rows = [[*lead, m.sender, m.timestamp, m.message_id, m.body] for m in messages]
            return _utf8(self._csv(rows))
        prefix = "{" + f'"{field}":' + _json_str(name) + ","
        if self._with is not None and field == "owner":
            prefix += '"with":' + _json_str(self._with) + ","
        parts = [
            f'{prefix}"sender":{_json_str(m.sender)},"timestamp":{m.timestamp},'
            f'"message_id":{_json_str(m.message_id)},'
            f'"body":{"null" if m.body is None else _json_str(m.body)}}}\n'
            for m in messages
        ]
        return _utf8("".join(parts))

    @staticmethod
    def _csv(rows: Iterable[Sequence[object]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue()
