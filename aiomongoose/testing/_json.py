"""JSON and decimal integers without the limits of Python that MongooseIM does not have.

MongooseIM decodes request bodies with jiffy. Its C decoder keeps the arrays and objects
still open on a stack of its own that it enlarges as needed, so nesting is bounded by memory
only, and it hands an integer too long for 64 bits to Erlang, whose integers have no size
limit. Erlang's ``binary_to_integer`` (query parameters) and graphql-erlang's scanner
(``list_to_integer`` on an integer literal) take any number of digits too.

Python refuses both: ``json`` recurses and raises ``RecursionError`` at about a thousand
levels, and ``int(text)`` / ``str(number)`` raise ``ValueError`` beyond
``sys.get_int_max_str_digits()`` (4300 digits by default). So the fake decodes and prints
with the helpers here, which go around those limits without changing them for the process:

- :func:`parse_integer` / :func:`integer_text`: decimal text to ``int`` and back, any length.
- :func:`loads`: ``json.loads`` with integers of any length, and, when the nesting is too
  deep for ``json``, an iterative decoder that accepts exactly the same documents.
- :func:`dumps`: ``json.dumps(value, ensure_ascii=False)``, also for values nested too deeply
  for it and for integers of any length.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["dumps", "integer_text", "loads", "parse_integer"]

_CHUNK = 1000  # decimal digits converted at a time: far below Python's limit
_BASE = 10**_CHUNK
_INTEGER = re.compile(r"[+-]?[0-9]+")
_WS = re.compile(r"[ \t\n\r]*")
# A JSON string (closing quote included); its escapes are checked by json.loads.
_STRING = re.compile(r'"[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*"', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_CONSTANTS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def parse_integer(text: str) -> int:
    """The value of an optional sign and ASCII decimal digits, however many; else ``ValueError``."""
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"not a decimal integer: {text[:20]!r}")
    digits = text.lstrip("+-")
    if len(digits) <= _CHUNK:
        value = int(digits)
    else:
        value = 0
        for start in range(0, len(digits), _CHUNK):
            chunk = digits[start : start + _CHUNK]
            value = value * 10 ** len(chunk) + int(chunk)
    return -value if text.startswith("-") else value


def integer_text(value: int) -> str:
    """``str(value)`` for an integer of any size."""
    if -_BASE < value < _BASE:
        return str(value)
    rest, chunks = abs(value), []
    while rest:
        rest, low = divmod(rest, _BASE)
        chunks.append(low)
    head = str(chunks.pop())
    return ("-" if value < 0 else "") + head + "".join(str(c).zfill(_CHUNK) for c in chunks[::-1])


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(data: bytes | str, *, strict: bool = True) -> Any:
    """Decode a JSON document; ``ValueError`` (``UnicodeDecodeError`` included) if it is not one.

    ``strict`` (jiffy's rules): bytes must be UTF-8, and ``NaN``/``Infinity`` are refused.
    Otherwise as ``json.loads`` takes it: bytes in UTF-8, -16 or -32, and those constants.
    Either way integers may have any number of digits and the nesting any depth.
    """
    if isinstance(data, bytes):
        text = (
            data.decode("utf-8")
            if strict
            else data.decode(json.detect_encoding(data), "surrogatepass")
        )
    else:
        text = data
    constant = _no_constant if strict else _CONSTANTS.__getitem__
    try:
        return json.loads(text, parse_int=parse_integer, parse_constant=constant)
    except RecursionError:
        return _loads_iteratively(text, strict)


def _skip(text: str, pos: int) -> int:
    """The position after the whitespace at ``pos``."""
    found = _WS.match(text, pos)
    return pos if found is None else found.end()


def _key(text: str, pos: int) -> tuple[str, int]:
    """The key of an object member at ``pos`` and where its value starts."""
    found = _STRING.match(text, pos)
    if found is None:
        raise ValueError(f"expected a string key at {pos}")
    pos = _skip(text, found.end())
    if not text.startswith(":", pos):
        raise ValueError(f"expected ':' at {pos}")
    key: str = json.loads(found.group())
    return key, _skip(text, pos + 1)


def _scalar(text: str, pos: int, strict: bool) -> tuple[Any, int]:
    """The string, number or literal at ``pos`` and the position after it."""
    if text.startswith('"', pos):
        found = _STRING.match(text, pos)
        if found is None:
            raise ValueError(f"unterminated string at {pos}")
        return json.loads(found.group()), found.end()
    for word, value in (*_LITERALS.items(), *(() if strict else _CONSTANTS.items())):
        if text.startswith(word, pos):
            return value, pos + len(word)
    number = _NUMBER.match(text, pos)
    if number is None:
        raise ValueError(f"expected a value at {pos}")
    if number.group(1) or number.group(2):
        return float(number.group()), number.end()
    return parse_integer(number.group()), number.end()


def _loads_iteratively(text: str, strict: bool) -> Any:
    """The JSON decoder with its own stack: each open container and, for an object, the key
    whose value is being read."""
    open_: list[tuple[list[Any] | dict[str, Any], str]] = []
    pos = _skip(text, 0)
    while True:
        value: Any
        if text.startswith("[", pos):
            pos = _skip(text, pos + 1)
            if not text.startswith("]", pos):
                open_.append(([], ""))
                continue
            value, pos = [], pos + 1
        elif text.startswith("{", pos):
            pos = _skip(text, pos + 1)
            if not text.startswith("}", pos):
                key, pos = _key(text, pos)
                open_.append(({}, key))
                continue
            value, pos = {}, pos + 1
        else:
            value, pos = _scalar(text, pos, strict)
        # A value is complete: add it to the containers it closes, up to one that goes on.
        while True:
            pos = _skip(text, pos)
            if not open_:
                if pos != len(text):
                    raise ValueError(f"extra data at {pos}")
                return value
            container, key = open_[-1]
            if isinstance(container, list):
                container.append(value)
            else:
                container[key] = value
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
                if isinstance(container, dict):
                    key, pos = _key(text, pos)
                    open_[-1] = (container, key)
                break
            if not text.startswith("]" if isinstance(container, list) else "}", pos):
                raise ValueError(f"expected ',' or the end of a container at {pos}")
            value, pos = container, pos + 1
            open_.pop()


def dumps(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False)``, at any depth and for integers of any size."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError):
        pass
    parts: list[str] = []
    # Pending work: a value to write, or (as a str) text to write as it is.
    todo: list[tuple[bool, Any]] = [(False, value)]
    while todo:
        is_text, item = todo.pop()
        if is_text:
            parts.append(item)
        elif isinstance(item, dict):
            todo.append((True, "}"))
            for index, (name, member) in reversed(list(enumerate(item.items()))):
                todo.append((False, member))
                todo.append((True, ("" if index == 0 else ", ") + dumps(str(name)) + ": "))
            todo.append((True, "{"))
        elif isinstance(item, (list, tuple)):
            todo.append((True, "]"))
            for index in range(len(item) - 1, -1, -1):
                todo.append((False, item[index]))
                if index:
                    todo.append((True, ", "))
            todo.append((True, "["))
        elif isinstance(item, int) and not isinstance(item, bool):
            parts.append(integer_text(item))
        else:
            parts.append(json.dumps(item, ensure_ascii=False))
    return "".join(parts)
