"""parse_archive's per-page fast path agrees with the strict cattrs hooks, record by record."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiomongoose._codec import CONVERTER, _build, _columns, parse_archive
from aiomongoose.errors import ProtocolError
from aiomongoose.models import ArchivedMessage, MessageList

_hook = CONVERTER.get_structure_hook(ArchivedMessage)

VALUES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.just("undefined")
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)
)
GOOD = st.fixed_dictionaries(
    {
        "sender": st.text(max_size=8),
        "timestamp": st.integers(min_value=0, max_value=253_402_300_799),  # 1970 to 9999
        "message_id": st.text(max_size=4),
        "body": st.none() | st.just("undefined") | st.text(max_size=8),
    }
)
ANY_RECORD = st.fixed_dictionaries(
    {},
    optional={
        "sender": VALUES,
        "timestamp": VALUES,
        "message_id": VALUES,
        "body": VALUES,
        "extra": VALUES,
        # fields of the model that REST does not send (the GraphQL backend fills them)
        "stanza_id": VALUES,
        "stanza": VALUES,
        "timestamp_us": VALUES,
    },
)
GOOD_WITH_EXTRA_KEYS = st.builds(
    lambda record, extra: {**record, **extra},
    GOOD,
    st.fixed_dictionaries(
        {},
        optional={
            "thread": st.text(max_size=3),
            "stanza_id": st.none() | st.text(max_size=3),
            "timestamp_us": st.none() | st.integers(min_value=0, max_value=2**62),
        },
    ),
)
PAGES = (
    st.lists(GOOD | ANY_RECORD | VALUES, max_size=6)
    | st.lists(GOOD, max_size=20)
    | st.lists(GOOD | GOOD_WITH_EXTRA_KEYS, max_size=8)
)


def reference(data):
    """The per-record cattrs path: the behaviour the fast path must reproduce."""
    return MessageList([_hook(item, ArchivedMessage) for item in data])


@settings(max_examples=500, deadline=None)
@given(PAGES)
def test_fast_path_matches_the_cattrs_hooks(data):
    try:
        expected = reference(data)
    except Exception:  # any failure of the hooks must be a ProtocolError of parse_archive
        assert _columns(data) is None
        with pytest.raises(ProtocolError):
            parse_archive(json.dumps(data).encode())
        return
    columns = _columns(data)
    # The fast path declines only pages carrying keys of the GraphQL-only fields.
    assert columns is not None or any(
        set(r) & {"stanza_id", "stanza", "timestamp_us"} for r in data
    )
    if columns is not None:
        built = _build(columns)
        assert MessageList(built) == expected
        assert [type(m) for m in built] == [ArchivedMessage] * len(data)
    assert parse_archive(json.dumps(data).encode()) == expected


def test_fast_path_records_behave_like_constructed_ones():
    (fast,) = parse_archive(b'[{"sender":"a@b","timestamp":5,"message_id":"","body":"undefined"}]')
    built = ArchivedMessage("a@b", 5, "", None)
    assert fast == built and hash(fast) == hash(built) and repr(fast) == repr(built)
    with pytest.raises(AttributeError):
        fast.body = "x"  # still frozen
