"""Message, ArchivedMessage and MessageList (aiomongoose.models)."""

from __future__ import annotations

import collections.abc
from datetime import datetime, timedelta, timezone

import attrs
import pytest

from aiomongoose.errors import InvalidArgumentError, InvalidJIDError
from aiomongoose.models import ArchivedMessage, Message, MessageList


def rec(ts: int, body: str | None = "hi", sender: str = "alice@wonderland.lit", mid: str = ""):
    return ArchivedMessage(sender=sender, timestamp=ts, message_id=mid, body=body)


# --- Message ------------------------------------------------------------------------------


def test_message_fields():
    msg = Message("alice@wonderland.lit", "bob@wonderland.lit/phone", "Hi")
    assert (msg.caller, msg.to, msg.body) == (
        "alice@wonderland.lit",
        "bob@wonderland.lit/phone",
        "Hi",
    )
    assert msg == Message(caller="alice@wonderland.lit", to="bob@wonderland.lit/phone", body="Hi")


def test_message_allows_empty_and_unicode_body():
    assert Message("a@b", "c@d", "").body == ""
    assert Message("a@b", "c@d", "héllo \U0001f600\n\ttab").body == "héllo \U0001f600\n\ttab"


@pytest.mark.parametrize("caller", ["", "@b", "a@", "a b@c", "a@b/", None, 5])
def test_message_rejects_bad_caller(caller):
    with pytest.raises(InvalidJIDError, match="caller|invalid JID"):
        Message(caller, "bob@wonderland.lit", "hi")


@pytest.mark.parametrize("to", ["", "@b", "x@y@z", "a\x00@b", None, b"a@b"])
def test_message_rejects_bad_to(to):
    with pytest.raises(InvalidJIDError, match="to|invalid JID"):
        Message("alice@wonderland.lit", to, "hi")


def test_message_non_str_jid_error_names_field():
    with pytest.raises(InvalidJIDError, match="^caller must be a str, not int$"):
        Message(1, "b@c", "hi")
    with pytest.raises(InvalidJIDError, match="^to must be a str, not NoneType$"):
        Message("a@b", None, "hi")


@pytest.mark.parametrize("body", [None, 5, b"hi", ["hi"], 1.5])
def test_message_rejects_non_str_body(body):
    with pytest.raises(InvalidArgumentError, match="body must be a str"):
        Message("a@b", "c@d", body)


def test_message_rejects_nul_in_body():
    with pytest.raises(InvalidArgumentError, match="NUL"):
        Message("a@b", "c@d", "before\x00after")


@pytest.mark.parametrize("body", ["\ud800", "x\udfffy", "\ud83d"])
def test_message_rejects_lone_surrogate(body):
    with pytest.raises(InvalidArgumentError, match="surrogate"):
        Message("a@b", "c@d", body)


def test_message_is_frozen():
    msg = Message("a@b", "c@d", "hi")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        msg.body = "changed"  # type: ignore[misc]
    assert msg.body == "hi"


# --- ArchivedMessage -----------------------------------------------------------------------


def test_archived_message_is_frozen_and_slotted():
    m = rec(1700000000)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        m.body = "x"  # type: ignore[misc]
    assert not hasattr(m, "__dict__")
    assert "timestamp" in type(m).__slots__
    with pytest.raises((AttributeError, attrs.exceptions.FrozenInstanceError)):
        m.extra = 1  # type: ignore[attr-defined]


def test_archived_message_equality_and_hash():
    assert rec(1, "a") == rec(1, "a")
    assert rec(1, "a") != rec(1, "b")
    assert rec(1, None) != rec(1, "undefined")
    assert len({rec(1, "a"), rec(1, "a"), rec(2, "a")}) == 2


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (0, datetime(1970, 1, 1, tzinfo=timezone.utc)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
        (-1, datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
    ],
)
def test_sent_at_is_aware_utc(ts, expected):
    sent = rec(ts).sent_at
    assert sent == expected
    assert sent.tzinfo is not None
    assert sent.utcoffset() == timedelta(0)
    assert sent.microsecond == 0
    assert sent.timestamp() == ts


# --- MessageList ----------------------------------------------------------------------------

A, B, C, D = rec(1, "a"), rec(2, "b"), rec(3, "c"), rec(4, "d")


def test_message_list_is_a_sequence():
    ml = MessageList([A, B, C])
    assert isinstance(ml, collections.abc.Sequence)
    assert len(ml) == 3
    assert list(ml) == [A, B, C]
    assert list(reversed(ml)) == [C, B, A]
    assert B in ml
    assert D not in ml
    assert ml.index(C) == 2
    assert ml.count(A) == 1


def test_message_list_default_is_empty():
    ml = MessageList()
    assert len(ml) == 0
    assert list(ml) == []
    assert not ml
    assert ml == []


def test_message_list_accepts_any_iterable_once():
    ml = MessageList(m for m in (A, B))
    assert list(ml) == [A, B]
    assert list(ml) == [A, B]  # stored, not a consumed generator


def test_indexing():
    ml = MessageList([A, B, C, D])
    assert ml[0] is A
    assert ml[3] is D
    assert ml[-1] is D
    assert ml[-4] is A
    with pytest.raises(IndexError):
        ml[4]
    with pytest.raises(IndexError):
        ml[-5]


def test_slicing_returns_message_list():
    ml = MessageList([A, B, C, D])
    part = ml[1:3]
    assert type(part) is MessageList
    assert list(part) == [B, C]
    assert type(ml[::-1]) is MessageList
    assert list(ml[::-1]) == [D, C, B, A]
    assert list(ml[::2]) == [A, C]
    assert ml[10:] == MessageList()
    assert type(ml[:]) is MessageList


def test_equality():
    ml = MessageList([A, B])
    assert ml == MessageList([A, B])
    assert ml == [A, B]
    assert [A, B] == ml
    assert ml != [B, A]
    assert ml != MessageList([A])
    assert ml != [A, B, C]
    assert ml != "AB"
    assert ml != {0: A, 1: B}
    assert ml != None  # noqa: E711
    assert hash(ml) == hash(MessageList([A, B]))


def test_immutable():
    ml = MessageList([A, B])
    with pytest.raises(TypeError):
        ml[0] = C  # type: ignore[index]
    with pytest.raises(TypeError):
        del ml[0]  # type: ignore[attr-defined]
    assert not hasattr(ml, "append")
    assert not hasattr(ml, "__dict__")
    with pytest.raises(AttributeError):
        ml.other = 1  # type: ignore[attr-defined]
    assert list(ml) == [A, B]


def test_changing_the_source_list_does_not_change_the_message_list():
    source = [A, B]
    ml = MessageList(source)
    source.append(C)
    source[0] = D
    assert list(ml) == [A, B]


def test_repr():
    assert repr(MessageList()) == "MessageList([])"
    assert repr(MessageList([rec(5, None, "a@b", "x")])) == (
        "MessageList([ArchivedMessage(sender='a@b', timestamp=5, message_id='x', body=None)])"
    )
