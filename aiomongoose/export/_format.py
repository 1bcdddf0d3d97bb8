"""Output formats: one line (JSON Lines) or one record (CSV) per archived message.

Both write the fields ``owner``, ``with`` (only when the export is filtered), ``sender``,
``timestamp``, ``message_id``, ``body`` in that order. A message without body is ``null`` in
JSON Lines and an empty field in CSV (where it cannot be told from an empty body). Text is
UTF-8; a lone surrogate (possible only from a ``\\udXXX`` escape in the server's JSON) is
written as that escape instead of failing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring as _json_str  # the C encoder; ensure_ascii=False

from ..models import ArchivedMessage
from ._options import Format

__all__ = ["LineEncoder"]

_FIELDS = ("owner", "sender", "timestamp", "message_id", "body")


def _utf8(text: str) -> bytes:
    # JSON: "\ud800" is the valid escape of a lone surrogate; CSV: the same text, readable.
    return text.encode("utf-8", "backslashreplace")


class LineEncoder:
    """Encodes the messages of one owner as output bytes, in the order given."""

    def __init__(self, format: Format, with_: str | None) -> None:
        self.format = format
        self._with = with_

    @property
    def fields(self) -> tuple[str, ...]:
        """The keys (JSON Lines) or columns (CSV), in output order."""
        if self._with is None:
            return _FIELDS
        return (_FIELDS[0], "with", *_FIELDS[1:])

    def header(self) -> bytes:
        """What an empty output starts with: the CSV header line, nothing for JSON Lines."""
        if self.format == "jsonl":
            return b""
        return _utf8(self._csv([list(self.fields)]))

    def encode(self, owner: str, messages: Iterable[ArchivedMessage]) -> bytes:
        """The lines of ``messages`` (in the order given) as ``owner``'s, UTF-8."""
        if self.format == "csv":
            lead = [owner] if self._with is None else [owner, self._with]
            rows = [[*lead, m.sender, m.timestamp, m.message_id, m.body] for m in messages]
            return _utf8(self._csv(rows))
        prefix = '{"owner":' + _json_str(owner) + ","
        if self._with is not None:
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
