"""The strict JSON <-> model converter (aiomongoose._codec)."""

from __future__ import annotations

import importlib.util
import json
import sys
import time

import attrs
import cattrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aiomongoose._codec as converter_module
from aiomongoose._codec import encode_message, make_converter, parse_archive, parse_json
from aiomongoose.errors import ProtocolError
from aiomongoose.models import ArchivedMessage, Message, MessageList

GOOD_RECORD = {
    "sender": "alice@wonderland.lit/phone",
    "timestamp": 1700000000,
    "message_id": "abc",
    "body": "Hi",
}


def dump(value) -> bytes:
    return json.dumps(value).encode()


def record(**changes):
    data = dict(GOOD_RECORD)
    data.update(changes)
    return data


# --- good bodies ----------------------------------------------------------------------------


def test_parse_archive_good_body():
    body = dump(
        [
            GOOD_RECORD,
            {"sender": "bob@wonderland.lit", "timestamp": 1700000001, "message_id": "", "body": ""},
        ]
    )
    result = parse_archive(body)
    assert type(result) is MessageList
    assert list(result) == [
        ArchivedMessage("alice@wonderland.lit/phone", 1700000000, "abc", "Hi"),
        ArchivedMessage("bob@wonderland.lit", 1700000001, "", ""),
    ]


def test_parse_archive_keeps_server_order():
    body = dump([record(timestamp=t, message_id=str(t)) for t in (5, 3, 9, 3)])
    assert [m.timestamp for m in parse_archive(body)] == [5, 3, 9, 3]


def test_parse_archive_empty_array():
    result = parse_archive(b"[]")
    assert type(result) is MessageList
    assert len(result) == 0


def test_parse_archive_whitespace_and_unicode():
    body = ' [ {"sender":"jürgen@müller.de","timestamp":0,"message_id":"ü","body":"日本"} ] \n'
    assert list(parse_archive(body.encode())) == [
        ArchivedMessage("jürgen@müller.de", 0, "ü", "日本")
    ]


def test_parse_archive_extra_keys_allowed():
    body = dump([record(thread="t1", markers=[1, 2], extra={"x": None})])
    assert list(parse_archive(body)) == [
        ArchivedMessage("alice@wonderland.lit/phone", 1700000000, "abc", "Hi")
    ]


@pytest.mark.parametrize("raw", ["undefined", None])
def test_parse_archive_no_body_is_none(raw):
    (message,) = parse_archive(dump([record(body=raw)]))
    assert message.body is None


@pytest.mark.parametrize("text", ["Undefined", "undefined ", "null", "None", ""])
def test_parse_archive_bodies_that_only_look_empty_are_kept(text):
    (message,) = parse_archive(dump([record(body=text)]))
    assert message.body == text


def test_parse_archive_default_status_200_and_explicit_status():
    with pytest.raises(ProtocolError) as info:
        parse_archive(b"nope")
    assert info.value.status == 200
    with pytest.raises(ProtocolError) as info:
        parse_archive(b"nope", 203)
    assert info.value.status == 203


def test_parse_archive_5mb_page_accepted_quickly():
    records = [
        record(timestamp=1700000000 + i, message_id=f"id-{i}", body="x" * 60) for i in range(50_000)
    ]
    body = dump(records)
    assert len(body) > 5_000_000
    started = time.perf_counter()
    result = parse_archive(body)
    elapsed = time.perf_counter() - started
    assert len(result) == 50_000
    assert result[-1] == ArchivedMessage(
        "alice@wonderland.lit/phone", 1700049999, "id-49999", "x" * 60
    )
    assert elapsed < 5


# --- malformed bodies ----------------------------------------------------------------------

MALFORMED = {
    "not json": b"<html>Bad Gateway</html>",
    "empty": b"",
    "truncated": dump([GOOD_RECORD])[:-3],
    "trailing garbage": b"[] []",
    "top-level object": dump(GOOD_RECORD),
    "top-level string": b'"Invalid limit"',
    "top-level null": b"null",
    "top-level number": b"42",
    "top-level true": b"true",
    "array of strings": b'["alice@wonderland.lit"]',
    "array of numbers": b"[1, 2]",
    "array of null": b"[null]",
    "array of arrays": dump([list(GOOD_RECORD.values())]),
    "array of key lists": dump([list(GOOD_RECORD)]),
    "missing sender": dump([{k: v for k, v in GOOD_RECORD.items() if k != "sender"}]),
    "missing timestamp": dump([{k: v for k, v in GOOD_RECORD.items() if k != "timestamp"}]),
    "missing message_id": dump([{k: v for k, v in GOOD_RECORD.items() if k != "message_id"}]),
    "missing body": dump([{k: v for k, v in GOOD_RECORD.items() if k != "body"}]),
    "empty record": b"[{}]",
    "timestamp bool": dump([record(timestamp=True)]),
    "timestamp false": dump([record(timestamp=False)]),
    "timestamp str": dump([record(timestamp="1700000000")]),
    "timestamp float": dump([record(timestamp=1700000000.5)]),
    "timestamp whole float": b'[{"sender":"a","timestamp":1.0,"message_id":"","body":""}]',
    "timestamp null": dump([record(timestamp=None)]),
    "timestamp list": dump([record(timestamp=[1])]),
    "sender null": dump([record(sender=None)]),
    "sender number": dump([record(sender=42)]),
    "sender bool": dump([record(sender=False)]),
    "sender list": dump([record(sender=["a@b"])]),
    "sender object": dump([record(sender={"jid": "a@b"})]),
    "message_id null": dump([record(message_id=None)]),
    "message_id number": dump([record(message_id=7)]),
    "body number": dump([record(body=5)]),
    "body bool": dump([record(body=True)]),
    "body list": dump([record(body=["Hi"])]),
    "body object": dump([record(body={})]),
    "one bad record among good ones": dump([GOOD_RECORD, record(timestamp="x"), GOOD_RECORD]),
    "deeply nested": b"[" * 100_000,
    "deeply nested closed": b"[" * 100_000 + b"]" * 100_000,
    "invalid utf-8": b'[{"sender":"\xff","timestamp":1,"message_id":"","body":""}]',
    "NaN": b"NaN",
    "bom": b"\xef\xbb\xbf[]",
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
def test_parse_archive_malformed_raises_protocol_error(body):
    with pytest.raises(ProtocolError) as info:
        parse_archive(body, 200)
    exc = info.value
    assert exc.status == 200
    assert exc.excerpt == ProtocolError("x", body=body).excerpt
    assert len(exc.excerpt) <= 123
    assert "(status 200)" in str(exc)


def test_parse_archive_excerpt_shows_the_body_start():
    with pytest.raises(ProtocolError) as info:
        parse_archive(b'{"error": "nope"}')
    assert info.value.excerpt == '{"error": "nope"}'
    assert info.value.reason == "expected a JSON array of messages"


def test_not_json_is_chained_from_the_decoder_error():
    with pytest.raises(ProtocolError, match="not valid JSON") as info:
        parse_archive(b"{")
    assert isinstance(info.value.__cause__, ValueError)


def test_bad_record_is_chained_from_the_structuring_error():
    with pytest.raises(ProtocolError, match="malformed message record") as info:
        parse_archive(dump([record(timestamp=True)]))
    assert isinstance(info.value.__cause__, TypeError)


def test_stylemd_pitfall_none_and_bool_are_not_coerced():
    """STYLE.md: plain cattrs turns ``{"sender": None, "timestamp": True}`` into ('None', 1)."""
    body = dump([{"sender": None, "timestamp": True, "message_id": "", "body": None}])
    with pytest.raises(ProtocolError):
        parse_archive(body)
    conv = make_converter()
    for bad in (
        {"sender": None, "timestamp": 1, "message_id": "", "body": None},
        {"sender": "a@b", "timestamp": True, "message_id": "", "body": None},
    ):
        with pytest.raises((TypeError, cattrs.BaseValidationError)):
            conv.structure(bad, ArchivedMessage)


def test_make_converter_strict_primitives():
    conv = make_converter()
    assert conv.structure("x", str) == "x"
    assert conv.structure(3, int) == 3
    for value, kind in [(None, str), (1, str), (True, int), ("1", int), (1.0, int)]:
        with pytest.raises(TypeError):
            conv.structure(value, kind)


def test_parse_json():
    assert parse_json(b'{"a": [1]}') == {"a": [1]}
    with pytest.raises(ProtocolError) as info:
        parse_json(b"nope", 200)
    assert info.value.status == 200
    assert info.value.excerpt == "nope"


# --- encode_message -------------------------------------------------------------------------


def test_encode_message_exact_keys():
    body = encode_message(Message("alice@wonderland.lit", "bob@wonderland.lit/phone/2", "Hi"))
    assert type(body) is bytes
    data = json.loads(body)
    assert data == {
        "caller": "alice@wonderland.lit",
        "to": "bob@wonderland.lit/phone/2",
        "body": "Hi",
    }
    assert list(data) == ["caller", "to", "body"]


@pytest.mark.parametrize(
    "text", ["", "undefined", 'quote " and \\ backslash', "日本 \U0001f600", "line\nbreak\x01"]
)
def test_encode_message_round_trips_the_body(text):
    body = encode_message(Message("a@b", "c@d", text))
    assert json.loads(body)["body"] == text
    body.decode("utf-8")  # valid UTF-8


# --- properties ----------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(["undefined", "alice@wonderland.lit"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["sender", "timestamp", "message_id", "body", "x"])
            | st.text(max_size=3),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)

RECORD_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "sender": JSON_VALUES,
        "timestamp": JSON_VALUES,
        "message_id": JSON_VALUES,
        "body": JSON_VALUES,
    },
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES | st.lists(RECORD_LIKE, max_size=3))
def test_random_json_gives_message_list_or_protocol_error(value):
    body = json.dumps(value).encode()
    try:
        result = parse_archive(body)
    except ProtocolError as exc:
        assert exc.status == 200
    else:
        assert type(result) is MessageList
        assert type(value) is list
        assert len(result) == len(value)
        for item, message in zip(value, result, strict=True):
            assert type(message.sender) is str and message.sender == item["sender"]
            assert type(message.timestamp) is int and message.timestamp == item["timestamp"]
            assert type(message.message_id) is str
            assert message.body is None or type(message.body) is str


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_give_message_list_or_protocol_error(body):
    try:
        result = parse_archive(body)
    except ProtocolError:
        pass
    else:
        assert type(result) is MessageList


VALID_RECORD = st.builds(
    lambda s, t, i, b: {"sender": s, "timestamp": t, "message_id": i, "body": b},
    st.text(min_size=1, max_size=10),
    st.integers(min_value=0, max_value=253_402_300_799),  # 1970 to the end of 9999
    st.text(max_size=5),
    st.none() | st.text(max_size=10),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(VALID_RECORD, max_size=5))
def test_valid_records_round_trip(records):
    result = parse_archive(json.dumps(records).encode())
    expected = [
        ArchivedMessage(
            r["sender"],
            r["timestamp"],
            r["message_id"],
            None if r["body"] in (None, "undefined") else r["body"],
        )
        for r in records
    ]
    assert result == expected


# --- without orjson (the stdlib json fallback) ---------------------------------------------


@pytest.fixture
def stdlib_converter(monkeypatch):
    """A private copy of aiomongoose._codec loaded while orjson cannot be imported."""
    monkeypatch.setitem(sys.modules, "orjson", None)
    spec = importlib.util.spec_from_file_location(
        "aiomongoose._codec_stdlib_copy", converter_module.__file__
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "aiomongoose"
    spec.loader.exec_module(module)
    assert module.loads is not converter_module.loads  # the stdlib fallback
    return module


def test_fallback_parses_like_orjson(stdlib_converter):
    body = dump([GOOD_RECORD, record(body="undefined"), record(body=None)])
    assert stdlib_converter.parse_archive(body) == parse_archive(body)


@pytest.mark.parametrize(
    "body",
    [
        MALFORMED["deeply nested"],
        MALFORMED["deeply nested closed"],
        MALFORMED["invalid utf-8"],
        MALFORMED["truncated"],
        MALFORMED["timestamp bool"],
        MALFORMED["sender null"],
        b'[{"sender":"a@b","timestamp":NaN,"message_id":"","body":""}]',
    ],
)
def test_fallback_malformed_raises_protocol_error(stdlib_converter, body):
    with pytest.raises(ProtocolError):
        stdlib_converter.parse_archive(body)


def test_fallback_encodes_the_same_json(stdlib_converter):
    msg = Message("a@b", "c@d/r", 'héllo "x" \U0001f600\n')
    assert json.loads(stdlib_converter.encode_message(msg)) == json.loads(encode_message(msg))


def test_models_are_attrs_classes():
    assert attrs.has(ArchivedMessage)
    assert attrs.has(Message)


@pytest.mark.parametrize(
    "body",
    [
        b'[{"sender":"\\ud800","timestamp":1,"message_id":"","body":""}]',
        b'[{"sender":"a@b","timestamp":18446744073709551616,"message_id":"","body":""}]',
    ],
    ids=["lone surrogate escape", "integer beyond 64 bits"],
)
def test_fallback_rejects_what_orjson_rejects(stdlib_converter, body):
    with pytest.raises(ProtocolError):
        parse_archive(body)  # the orjson build rejects it ...
    with pytest.raises(ProtocolError):
        stdlib_converter.parse_archive(body)  # ... and so should the fallback
