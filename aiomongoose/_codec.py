"""The one cattrs converter: JSON bytes <-> models, cursors and checkpoints, strictly.

cattrs' default hooks coerce (``str(None)``, ``int(True)``, a dict iterated as a list), which
would turn a malformed answer into plausible-looking data. The hooks here accept exactly the
JSON types the API promises; this module is the one place that says what a valid record is
(REST's four fields, GraphQL's stanza records), and every failure to parse an answer
becomes :class:`ProtocolError`. :func:`structure_strict` builds our own saved state
(history cursors, export checkpoints) with the same hooks and no unknown keys.
"""

from __future__ import annotations

import functools
import json
import typing
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from operator import itemgetter
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._stanza import StanzaError, id_and_body
from ._time import LAST_SECOND, LAST_US, parse_datetime_us, rounded_seconds
from .errors import ProtocolError
from .models import ArchivedMessage, GraphQLArchivedMessage, Message, MessageList

__all__ = [
    "dumps",
    "encode_message",
    "loads",
    "make_converter",
    "parse_archive",
    "parse_graphql_records",
    "parse_json",
    "STRUCTURE_ERRORS",
    "structure_strict",
]

T = TypeVar("T")

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
        data = json.loads(body.decode("utf-8"), parse_int=_int64)  # UTF-8 only, no BOM
        if b"\\u" in body:
            _reject_lone_surrogates(data)
        return data

    def dumps(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _int64(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"integer out of range: {text[:30]}{'...' if len(text) > 30 else ''}")
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


def _archive_seconds(value: Any, _: Any) -> int:
    """REST's ``timestamp``: whole seconds that a datetime can hold (``sent_at``), from the
    epoch on (archive ids are unsigned) to the last second of the year 9999."""
    if not 0 <= _strict_int(value, None) <= LAST_SECOND:
        raise ValueError(f"timestamp {value} is not between 1970 and the year 9999")
    return value  # type: ignore[no-any-return]


def _strict_bool(value: Any, _: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _is_list(type_: Any) -> bool:
    return typing.get_origin(type_) is list


def _strict_list(type_: Any, conv: cattrs.Converter) -> Callable[[Any, Any], list[Any]]:
    (item_type,) = typing.get_args(type_) or (Any,)
    structure_item = conv.get_structure_hook(item_type)

    def structure(value: Any, _: Any) -> list[Any]:
        if type(value) is not list:  # cattrs would iterate any iterable: a dict's keys
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [structure_item(item, item_type) for item in value]

    return structure


def _json_object(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _archived_body(value: Any, _: Any) -> str | None:
    if value is None or value == UNDEFINED_BODY:
        return None
    if type(value) is not str:
        raise TypeError(f"expected a string or null body, got {type(value).__name__}")
    return value


def _graphql_record(item: Any, _: Any) -> GraphQLArchivedMessage:
    """A ``getLastMessages`` record: the stanza's XML carries REST's id and body."""
    sender, stanza_id, stanza = item["sender"], item["stanza_id"], item["stanza"]
    if not (type(sender) is str and type(stanza_id) is str and type(stanza) is str):
        raise TypeError("sender, stanza_id and stanza must be strings")
    time_us = parse_datetime_us(item["timestamp"])
    if not 0 <= time_us <= LAST_US:  # what from_microseconds (sent_at, before) can hold
        raise ValueError(f"timestamp {item['timestamp']!r} is not between 1970 and 9999 UTC")
    try:
        message_id, body = id_and_body(stanza)
    except StanzaError as exc:
        raise ValueError(str(exc)) from None
    return GraphQLArchivedMessage(
        sender,
        rounded_seconds(time_us),  # as REST reports it
        message_id,
        body,
        stanza_id=stanza_id,
        stanza=stanza,
        timestamp_us=time_us,
    )


def make_converter() -> cattrs.Converter:
    """A converter with strict primitive hooks and generated functions for the models."""
    conv = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook_factory(_is_list, _strict_list)
    conv.register_structure_hook_func(lambda t: t == dict[str, Any], _json_object)
    conv.register_structure_hook(GraphQLArchivedMessage, _graphql_record)
    conv.register_structure_hook(
        ArchivedMessage,
        make_dict_structure_fn(
            ArchivedMessage,
            conv,
            timestamp=override(struct_hook=_archive_seconds),
            body=override(struct_hook=_archived_body),
        ),
    )
    conv.register_unstructure_hook(Message, make_dict_unstructure_fn(Message, conv))
    return conv


CONVERTER = make_converter()
_structure_record = CONVERTER.get_structure_hook(ArchivedMessage)

# The per-page fast path below builds ArchivedMessage without attrs' __init__ (it would
# cost one call and one `object.__setattr__` call per field and record): `object.__new__`
# and the slots' own descriptors, each applied to a whole page at C speed. It is used only
# while it is equivalent to __init__ + the hooks above: exactly the four REST fields,
# slotted, required, with no validator, converter or __attrs_post_init__. Otherwise (a
# changed model) every page takes the cattrs path.
_FIELDS = ("sender", "timestamp", "message_id", "body")
_new = object.__new__
_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend
_INT = {int}
_BODY_TYPES = {str, type(None)}
Columns = tuple[list[Any], list[Any], list[Any], list[Any]]


def _slot_setters(cls: type[ArchivedMessage]) -> list[Callable[[Any, Any], None]] | None:
    fields = attrs.fields(cls)
    slots = set(getattr(cls, "__slots__", ()))
    if (
        tuple(a.name for a in fields) != _FIELDS
        or hasattr(cls, "__attrs_post_init__")
        or hasattr(cls, "__attrs_pre_init__")
        or any(
            a.validator is not None
            or a.converter is not None
            or not a.init
            or a.default is not attrs.NOTHING
            or a.name not in slots
            for a in fields
        )
    ):
        return None  # pragma: no cover - only while the model is being changed
    descriptors = vars(cls)
    return [descriptors[name].__set__ for name in _FIELDS]


_SETTERS = _slot_setters(ArchivedMessage)
_GETTERS = [itemgetter(name) for name in _FIELDS]


def _columns(data: list[Any]) -> Columns | None:
    """The page's four fields as columns, checked like the strict hooks; ``None`` if any
    record is malformed (not an object, a key missing, a value of the wrong JSON type, a
    timestamp outside 1970 to 9999)."""
    if _SETTERS is None:  # pragma: no cover - only while the model is being changed
        return None
    get_sender, get_timestamp, get_message_id, get_body = _GETTERS
    try:  # itemgetter raises KeyError for a missing key, TypeError for a non-object
        senders = list(map(get_sender, data))
        timestamps = list(map(get_timestamp, data))
        message_ids = list(map(get_message_id, data))
        bodies = list(map(get_body, data))
        # str.join raises TypeError for anything but a str (JSON has no str subclasses).
        "".join(senders)
        "".join(message_ids)
    except (KeyError, TypeError):
        return None
    if data and (set(map(type, timestamps)) != _INT or not _BODY_TYPES >= set(map(type, bodies))):
        return None  # bool is not int here (nor is float): `type`, not `isinstance`
    if data:
        # A page comes oldest first: then its ends are its extremes (sorted() of a sorted
        # list is one C pass, cheaper than min() and max()); otherwise min() and max().
        if timestamps == sorted(timestamps):
            earliest, latest = timestamps[0], timestamps[-1]
        else:
            earliest, latest = min(timestamps), max(timestamps)
        if earliest < 0 or latest > LAST_SECOND:
            return None  # a time no datetime holds: the hooks name it
    return senders, timestamps, message_ids, bodies


def _build(columns: Columns) -> tuple[ArchivedMessage, ...]:
    assert _SETTERS is not None
    senders, timestamps, message_ids, bodies = columns
    if UNDEFINED_BODY in bodies:  # usually a few per page: find them at C speed
        i = bodies.index(UNDEFINED_BODY)
        try:
            while True:
                bodies[i] = None
                i = bodies.index(UNDEFINED_BODY, i + 1)
        except ValueError:
            pass
    records = tuple(map(_new, repeat(ArchivedMessage, len(senders))))
    for setter, column in zip(_SETTERS, (senders, timestamps, message_ids, bodies), strict=True):
        _consume(map(setter, records, column))
    return records


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
    columns = _columns(data)
    if columns is not None:
        # Free the decoded dicts before the models exist: the page's peak memory is lower,
        # and the garbage collector is not triggered by both sets of objects at once.
        del data
        return MessageList._of_columns(columns)  # records built when first read
    # Something is malformed: the cattrs hooks name the first bad record's problem.
    try:
        return MessageList([_structure_record(item, ArchivedMessage) for item in data])
    except (KeyError, TypeError, ValueError, AttributeError, attrs.exceptions.FrozenError) as exc:
        raise ProtocolError(
            f"malformed message record ({type(exc).__name__}: {exc})", status=status, body=body
        ) from exc


def parse_graphql_records(items: Any, status: int, body: bytes) -> MessageList:
    """A GraphQL list of archived stanzas as a :class:`MessageList` (server order)."""
    if type(items) is not list:
        raise ProtocolError("expected a list of archived stanzas", status=status, body=body)
    try:
        return MessageList([_graphql_record(item, None) for item in items])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError(
            f"malformed GraphQL message record ({type(exc).__name__}: {exc})",
            status=status,
            body=body,
        ) from exc


#: What :func:`structure_strict` raises for malformed input.
STRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,
    KeyError,
    cattrs.BaseValidationError,
    cattrs.ForbiddenExtraKeysError,
)


@functools.cache
def _strict_structure_fn(cls: type[Any]) -> Callable[[Any, Any], Any]:
    return make_dict_structure_fn(cls, CONVERTER, _cattrs_forbid_extra_keys=True)


def structure_strict(data: Any, cls: type[T]) -> T:
    """Build ``cls`` (an attrs class) from a JSON object with the strict hooks: no unknown
    key, no missing required key, no value of the wrong JSON type; the class's own
    validators run too. Raises ``TypeError``, ``ValueError``, ``KeyError`` or cattrs'
    ``ForbiddenExtraKeysError``; callers say what was malformed."""
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    hook = _strict_structure_fn(cls)  # type: ignore[arg-type]  # classes are hashable
    result: T = hook(data, cls)
    return result


def encode_message(message: Message) -> bytes:
    """The JSON body of ``POST /messages``: exactly ``caller``, ``to`` and ``body``."""
    return dumps(CONVERTER.unstructure(message))
