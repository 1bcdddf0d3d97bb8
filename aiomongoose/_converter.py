"""The one cattrs converter: JSON bytes <-> models, with strict type checks.

cattrs' default hooks coerce (``str(None)``, ``int(True)``, a dict iterated as a list), which
would turn a malformed answer into plausible-looking data. The hooks here accept exactly the
JSON types the API promises and turn every failure into :class:`ProtocolError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ProtocolError
from .models import ArchivedMessage, Message, MessageList

__all__ = ["dumps", "encode_message", "loads", "make_converter", "parse_archive", "parse_json"]

# The server writes Erlang's `undefined` atom as this string when a stanza has no <body>.
UNDEFINED_BODY = "undefined"

loads: Callable[[bytes], Any]
dumps: Callable[[Any], bytes]
try:  # optional speed-up (the `orjson` extra); results are the same either way
    import orjson

    loads = orjson.loads
    dumps = orjson.dumps
    _DECODE_ERRORS: tuple[type[BaseException], ...] = (ValueError, orjson.JSONDecodeError)
except ImportError:  # pragma: no cover - exercised where orjson is absent
    _DECODE_ERRORS = (ValueError, RecursionError)

    def loads(body: bytes) -> Any:
        # Reject what orjson rejects, so that both builds accept the same answers.
        data = json.loads(body, parse_int=_int64)
        if b"\\u" in body:
            _reject_lone_surrogates(data)
        return data

    def dumps(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _int64(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"integer out of range: {text[:30]}")
    return value


def _reject_lone_surrogates(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError is a ValueError
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())


def _strict_str(value: Any, _: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_int(value: Any, _: Any) -> int:
    if type(value) is not int:  # rejects bool, float and numeric strings
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _archived_body(value: Any, _: Any) -> str | None:
    if value is None or value == UNDEFINED_BODY:
        return None
    if type(value) is not str:
        raise TypeError(f"expected a string or null body, got {type(value).__name__}")
    return value


def make_converter() -> cattrs.Converter:
    """A converter with strict primitive hooks and generated functions for the models."""
    conv = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(
        ArchivedMessage,
        make_dict_structure_fn(ArchivedMessage, conv, body=override(struct_hook=_archived_body)),
    )
    conv.register_unstructure_hook(Message, make_dict_unstructure_fn(Message, conv))
    return conv


CONVERTER = make_converter()
_structure_record = CONVERTER.get_structure_hook(ArchivedMessage)


def parse_json(body: bytes, status: int | None = None) -> Any:
    """Decode a JSON body or raise :class:`ProtocolError`."""
    try:
        return loads(body)
    except _DECODE_ERRORS as exc:
        raise ProtocolError("answer is not valid JSON", status=status, body=body) from exc


def parse_archive(body: bytes, status: int | None = 200) -> MessageList:
    """Turn a ``GET /messages/...`` answer into a :class:`MessageList` (server order)."""
    data = parse_json(body, status)
    if type(data) is not list:
        raise ProtocolError("expected a JSON array of messages", status=status, body=body)
    try:
        return MessageList([_structure_record(item, ArchivedMessage) for item in data])
    except (KeyError, TypeError, ValueError, AttributeError, attrs.exceptions.FrozenError) as exc:
        raise ProtocolError(
            f"malformed message record ({type(exc).__name__}: {exc})", status=status, body=body
        ) from exc


def encode_message(message: Message) -> bytes:
    """The JSON body of ``POST /messages``: exactly ``caller``, ``to`` and ``body``."""
    return dumps(CONVERTER.unstructure(message))
