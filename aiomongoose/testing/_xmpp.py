"""How archived messages look on MongooseIM's GraphQL side: stanza XML, times, stanza ids.

Each rule names the MongooseIM (or library) code it imitates:

- :func:`render_stanza`: ``mongoose_stanza_api:build_chat_message`` builds
  ``<message from id to type='chat'><body/></message>``, MAM archives it, and
  ``exml:to_binary`` prints it with its attributes sorted by name (``from``, ``id``, ``to``,
  ``type``; exml keeps them in a map), in rapidxml's style: single
  quotes (double quotes when the value holds ``'``), ``< > & ' "`` escaped in text, no
  indentation. A message seeded with ``message_id=""`` has no ``id`` attribute. A bodyless
  message carries a ``<store xmlns='urn:xmpp:hints'/>`` hint instead of ``<body>`` (our
  choice: MAM archives a message without a body only when something else, such as that
  hint, a chat marker or a retraction, makes it archivable).
- :func:`render_live_stanza`: the same message as a live subscription receives it. MAM's
  incoming-message hook appends ``<stanza-id by id xmlns='urn:xmpp:sid:0'/>`` (by: the
  recipient's bare JID, id: the archive id) when it archived the message for the recipient
  (``mod_mam_utils:replace_arcid_elem``); an element without children prints as ``<x/>``.
- :func:`format_rfc3339_us`: ``calendar:system_time_to_rfc3339(T, [{offset, "Z"},
  {unit, microsecond}])``: always six fraction digits and ``Z``.
- :func:`parse_rfc3339_us`: ``mod_mam_utils:maybe_microseconds``, i.e. Erlang's
  ``calendar:rfc3339_to_system_time(S, [{unit, microsecond}])``: ``YYYY-MM-DD``, any one
  separator character, ``hh:mm:ss`` (not range-checked: ``24:00:00`` is the next midnight),
  an optional ``.fraction`` rounded to microseconds, then ``Z``, ``z`` or ``±hh:mm``
  (required). Years 0 to 9999. Field digits are required here (Erlang also reads signs).
- :func:`stanza_id_text`: ``mod_mam_utils:mess_id_to_external_binary``, the archive id
  ``microseconds << 8 | node`` written with ``integer_to_binary(Id, 32)`` (``0-9A-V``).
"""

from __future__ import annotations

import math
import re

__all__ = [
    "format_rfc3339_us",
    "parse_rfc3339_us",
    "render_live_stanza",
    "render_stanza",
    "stanza_id_text",
]

_DIGITS32 = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
_US = 1_000_000
_DAY_S = 86_400
_MIN_S = -62_167_219_200  # 0000-01-01T00:00:00Z
_MAX_S = 253_402_300_800  # 10000-01-01T00:00:00Z (excluded)
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2}).(\d{2}):(\d{2}):(\d{2})([0-9.]*)(.*)", re.DOTALL | re.ASCII
)
_OFFSET = re.compile(r"([+-])(\d{2}):(\d{2})", re.ASCII)
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;"}
_BODYLESS = "<store xmlns='urn:xmpp:hints'/>"
NS_STANZA_ID = "urn:xmpp:sid:0"


def stanza_id_text(mam_id: int) -> str:
    """An archive id as MongooseIM shows it: base 32, digits ``0-9A-V``."""
    if mam_id == 0:
        return "0"
    sign, n = ("-", -mam_id) if mam_id < 0 else ("", mam_id)
    digits = []
    while n:
        n, d = divmod(n, 32)
        digits.append(_DIGITS32[d])
    return sign + "".join(reversed(digits))


def _civil_from_days(days: int) -> tuple[int, int, int]:
    # Proleptic Gregorian calendar, days since 1970-01-01 (H. Hinnant's algorithm).
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _days_from_civil(year: int, month: int, day: int) -> int:
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def _last_day(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def format_rfc3339_us(time_us: int) -> str:
    """``2024-05-02T10:11:12.345678Z`` for a time in microseconds since the epoch."""
    seconds, micros = divmod(time_us, _US)
    days, in_day = divmod(seconds, _DAY_S)
    year, month, day = _civil_from_days(days)
    hour, rest = divmod(in_day, 3600)
    minute, second = divmod(rest, 60)
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{micros:06d}Z"


def _fraction_us(text: str) -> int | None:
    if not text:
        return 0
    digits = text[1:]
    if not text.startswith(".") or not digits or not digits.isdigit():
        return None  # Erlang: no clause for a fraction without '.', or list_to_float fails
    scaled = float("0." + digits) * _US
    whole = math.floor(scaled)
    return whole + (1 if scaled - whole >= 0.5 else 0)  # Erlang's round/1: half away from 0


def parse_rfc3339_us(text: str) -> int | None:
    """Microseconds since the epoch, or ``None`` where MongooseIM fails to parse ``text``."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    if not 1 <= month <= 12 or not 1 <= day <= _last_day(year, month):
        return None
    if offset in ("Z", "z"):
        shift = 0
    else:
        parts = _OFFSET.fullmatch(offset)
        if parts is None:
            return None
        shift = (int(parts.group(2)) * 3600 + int(parts.group(3)) * 60) * (
            -1 if parts.group(1) == "-" else 1
        )
    seconds = _days_from_civil(year, month, day) * _DAY_S + hour * 3600 + minute * 60 + second
    seconds -= shift
    if not _MIN_S <= seconds < _MAX_S:
        return None
    micros = _fraction_us(fraction)
    if micros is None:
        return None
    scaled = seconds * _US
    return scaled - micros if scaled < 0 else scaled + micros  # Erlang's copy_sign


# str.translate tables: escape every special character, or all but the quote that is not
# used to delimit the attribute value.
_ESCAPE_ALL = str.maketrans(_TEXT_ESCAPES)
_ESCAPE_BUT = {
    raw: str.maketrans({k: v for k, v in _TEXT_ESCAPES.items() if k != raw}) for raw in "'\""
}


def _attribute(name: str, value: str) -> str:
    quote, raw = ('"', "'") if "'" in value else ("'", '"')
    return f" {name}={quote}{value.translate(_ESCAPE_BUT[raw])}{quote}"


def _text(value: str) -> str:
    return value.translate(_ESCAPE_ALL)


def _message(sender: str, recipient: str, message_id: str, type_: str | None, inner: str) -> str:
    attributes = [("from", sender), ("id", message_id), ("to", recipient), ("type", type_)]
    head = "<message" + "".join(_attribute(n, v) for n, v in attributes if v)
    return f"{head}>{inner}</message>" if inner else f"{head}/>"


def render_stanza(
    sender: str, recipient: str, message_id: str, body: str | None, type_: str | None = "chat"
) -> str:
    """The archived ``<message/>`` of a chat message, as ``exml:to_binary`` prints it."""
    inner = _BODYLESS if body is None else f"<body>{_text(body)}</body>"
    return _message(sender, recipient, message_id, type_, inner)


def render_live_stanza(
    sender: str,
    recipient: str,
    message_id: str,
    body: str | None,
    type_: str | None,
    archived_as: tuple[str, str] | None,
) -> str:
    """A ``<message/>`` as routed to a session; ``archived_as`` is ``(by, archive id)`` when
    MAM archived it for the recipient, which adds the ``<stanza-id/>`` child."""
    inner = "" if body is None else f"<body>{_text(body)}</body>"
    if archived_as is not None:
        by, archive_id = archived_as
        attributes = (("by", by), ("id", archive_id), ("xmlns", NS_STANZA_ID))
        inner += "<stanza-id" + "".join(_attribute(n, v) for n, v in attributes) + "/>"
    return _message(sender, recipient, message_id, type_, inner)
