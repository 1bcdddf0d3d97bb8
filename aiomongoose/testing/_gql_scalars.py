"""Input coercion of MongooseIM's GraphQL scalars, and Erlang's ``~p`` for error messages.

The coercers follow ``mongoose_graphql_scalar:input/2`` (JID, DomainName, DateTime, PosInt) and
graphql-erlang's built-in coercers (String and ID take any value, Int rejects floats with a
fraction and values outside 32 bits, Bool takes ``true``/``false`` and their strings):

- ``JID``: ``jid:from_binary`` fails -> ``failed_to_parse_jid``; no localpart ->
  ``jid_without_local_part``; a value that is not a string crashes the coercer
  (``input_coerce_abort``).
- ``DateTime``: ``mod_mam_utils:maybe_microseconds`` (see :mod:`._xmpp`); anything it cannot
  read, strings or not, -> ``failed_to_parse_datetime``.
- ``DomainName``: ``""`` -> ``empty_domain_name``; a value ``jid:nameprep`` rejects (not a
  string, too long, white space or control characters) -> ``failed_to_parse_domain_name``;
  otherwise the domain lower-cased (nameprep's case folding).
- ``PosInt``: an integer above 0, else ``"Value is not a positive integer"`` (a string reason,
  so the message shows it in quotes).

:func:`erl_repr` renders values the way the error messages show them (``io_lib:format("~p")``):
``<<"text">>`` for strings, ``0``, ``true``, ``null``, ``[...]``, ``#{...}``. Erlang's line
wrapping of long terms is not imitated.
"""

from __future__ import annotations

import attrs

from ._jid import ParsedJID, domain_name_key, parse_jid
from ._xmpp import parse_rfc3339_us

__all__ = [
    "SCALARS",
    "CoercerCrashed",
    "CoercionFailed",
    "EnumName",
    "JidValue",
    "coerce_scalar",
    "erl_repr",
]

#: The scalar types the fake's schema knows (graphql-erlang calls the boolean type "Bool").
SCALARS = frozenset(
    {"JID", "DomainName", "DateTime", "PosInt", "String", "ID", "Int", "Float", "Bool", "Stanza"}
)
_INT32 = 1 << 31
_PRINTABLE = frozenset([*range(32, 127), *range(160, 256), *range(8, 14), 27])
_BYTE_ESCAPES = {34: '\\"', 92: "\\\\", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f"}
_BYTE_ESCAPES.update({13: "\\r", 27: "\\e"})


class CoercionFailed(Exception):
    """The coercer rejected the value; ``reason`` is the Erlang term as ``~p`` prints it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CoercerCrashed(Exception):
    """The coercer would crash on this value (graphql-erlang: ``input_coerce_abort``)."""


@attrs.frozen
class EnumName:
    """An enum literal (``limit: TEN``) handed to a scalar coercer."""

    name: str


@attrs.frozen
class JidValue:
    """A coerced JID: the text as given and its parts."""

    text: str
    jid: ParsedJID


def coerce_scalar(type_name: str, value: object) -> object:
    """The coerced value; raises :class:`CoercionFailed` or :class:`CoercerCrashed`."""
    if type_name == "JID":
        if not isinstance(value, str):
            raise CoercerCrashed()
        parsed = parse_jid(value)
        if parsed is None:
            raise CoercionFailed("failed_to_parse_jid")
        if not parsed.local:
            raise CoercionFailed("jid_without_local_part")
        return JidValue(value, parsed)
    if type_name == "DomainName":
        if value == "":
            raise CoercionFailed("empty_domain_name")
        domain = domain_name_key(value) if isinstance(value, str) else None
        if domain is None:
            raise CoercionFailed("failed_to_parse_domain_name")
        return domain
    if type_name == "DateTime":
        micros = parse_rfc3339_us(value) if isinstance(value, str) else None
        if micros is None:
            raise CoercionFailed("failed_to_parse_datetime")
        return micros
    if type_name == "PosInt":
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise CoercionFailed('"Value is not a positive integer"')
        return value
    if type_name == "Int":
        if isinstance(value, float):
            if value != int(value):
                raise CoercionFailed("float_truncate_not_integer")
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            if not -_INT32 - 1 <= value <= _INT32:
                raise CoercionFailed("not_int32_value")
        return value
    if type_name == "Bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise CoercionFailed("not_bool")
    return value  # String, ID, Float, Stanza: taken as they come


def _binary(text: str) -> str:
    data = text.encode("utf-8", "surrogatepass")
    if not data:
        return "<<>>"
    if all(b in _PRINTABLE for b in data):
        # ~p prints latin-1 bytes as characters; the message binary keeps the same bytes.
        shown = b"".join(_BYTE_ESCAPES.get(b, chr(b)).encode("latin-1") for b in data)
        return '<<"' + shown.decode("utf-8", "replace") + '">>'
    return "<<" + ",".join(str(b) for b in data) + ">>"


def _float(value: float) -> str:
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa if "." in mantissa else mantissa + ".0"
        return f"{mantissa}e{int(exponent)}"
    return text


def erl_repr(value: object) -> str:
    """``value`` (decoded JSON, a literal, or a tuple) as Erlang's ``~p`` prints it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _binary(value)
    if isinstance(value, EnumName):
        return "{enum," + _binary(value.name) + "}"
    if isinstance(value, JidValue):
        return _binary(value.text)
    if isinstance(value, tuple):
        return "{" + ",".join(erl_repr(item) for item in value) + "}"
    if isinstance(value, list):
        if value and all(
            isinstance(i, int) and not isinstance(i, bool) and i in _PRINTABLE for i in value
        ):
            return '"' + "".join(_BYTE_ESCAPES.get(i, chr(i)) for i in value) + '"'
        return "[" + ",".join(erl_repr(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted((str(k).encode(), erl_repr(str(k)), erl_repr(v)) for k, v in value.items())
        return "#{" + ",".join(f"{k} => {v}" for _, k, v in items) + "}"
    return repr(value)
