"""JID validation (aiomongoose.jid): RFC 7622 shape as described in the shared server note."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiomongoose.errors import InvalidJIDError, MongooseIMError
from aiomongoose.jid import bare, validate_jid

VALID = [
    "wonderland.lit",
    "alice@wonderland.lit",
    "alice@wonderland.lit/phone",
    "alice@wonderland.lit/phone/2",  # the resource may contain '/'
    "alice@wonderland.lit/res@with@ats",  # ... and '@'
    "alice@wonderland.lit/with spaces in resource",
    "wonderland.lit/just-a-resource",
    "a/b@c",  # first '/' starts the resource: domain 'a', resource 'b@c'
    "bob+tag@example.com",
    "100%@example.com",
    "jürgen@müller.de/Büro",
    "日本@例え.jp/端末",
    "localhost",
    "127.0.0.1",
    "x@[::1]",
    "a" * 1023 + "@d",
    "a@" + "d" * 1023,
    "a@d/" + "r" * 1023,
    "é" * 511 + "@d",  # 1022 bytes
    "€" * 341 + "@d",  # 1023 bytes
]

INVALID = [
    ("", "empty"),
    ("@wonderland.lit", "empty localpart"),
    ("alice@", "empty domain"),
    ("alice@/res", "empty domain"),
    ("/res", "empty domain"),
    ("alice@wonderland.lit/", "empty resource"),
    ("wonderland.lit/", "empty resource"),
    ("a@b@c", "'@' in localpart"),
    ('al"ice@w.lit', "'\"' in localpart"),
    ("al&ice@w.lit", "'&' in localpart"),
    ("al'ice@w.lit", "quote in localpart"),
    ("al:ice@w.lit", "':' in localpart"),
    ("al<ice@w.lit", "'<' in localpart"),
    ("al>ice@w.lit", "'>' in localpart"),
    ("al ice@w.lit", "space in localpart"),
    ("al\tice@w.lit", "tab in localpart"),
    ("al\u00a0ice@w.lit", "no-break space in localpart"),
    ("alice@won derland.lit", "space in domain"),
    (" alice@w.lit", "leading space"),
    ("alice@w.lit ", "trailing space in domain"),
    ("alice@w.lit\n", "newline in domain"),
    ("al\x00ice@w.lit", "NUL in localpart"),
    ("alice@w\x01.lit", "control in domain"),
    ("alice@w.lit/r\x00", "NUL in resource"),
    ("alice@w.lit/r\x7f", "DEL in resource"),
    ("alice@w.lit/r\x85", "C1 control in resource"),
    ("alice@w.lit/r\x9f", "C1 control in resource"),
    ("al\ud800ice@w.lit", "lone surrogate in localpart"),
    ("alice@w\udfff.lit", "lone surrogate in domain"),
    ("alice@w.lit/\ud83d", "lone surrogate in resource"),
    ("a" * 1024 + "@d", "localpart 1024 bytes"),
    ("a@" + "d" * 1024, "domain 1024 bytes"),
    ("a@d/" + "r" * 1024, "resource 1024 bytes"),
    ("é" * 512 + "@d", "localpart 1024 bytes of UTF-8"),
    ("€" * 342 + "@d", "localpart 1026 bytes of UTF-8"),
    ("a@d/" + "\U0001f600" * 256, "resource 1024 bytes of UTF-8"),
    (".", "dot-segment domain"),
    ("..", "dot-segment domain"),
    ("alice@..", "dot-segment domain"),
    ("alice@./phone", "dot-segment domain"),
]


@pytest.mark.parametrize("jid", VALID)
def test_valid_jid_is_returned_unchanged(jid):
    assert validate_jid(jid) is jid


@pytest.mark.parametrize(("jid", "why"), INVALID, ids=[why for _, why in INVALID])
def test_invalid_jid_raises(jid, why):
    with pytest.raises(InvalidJIDError, match="invalid JID"):
        validate_jid(jid)


@pytest.mark.parametrize("value", [None, 42, b"alice@wonderland.lit", ["a@b"], 1.5, object()])
def test_non_str_raises_invalid_jid_error_naming_the_argument(value):
    with pytest.raises(
        InvalidJIDError, match=rf"^owner must be a str, not {type(value).__name__}$"
    ):
        validate_jid(value, "owner")


def test_default_argument_name_in_message():
    with pytest.raises(InvalidJIDError, match="^JID must be a str, not int$"):
        validate_jid(1)


def test_error_is_value_error_and_library_error():
    with pytest.raises(ValueError) as info:
        validate_jid("@x")
    assert isinstance(info.value, MongooseIMError)


def test_error_message_names_the_faulty_part():
    with pytest.raises(InvalidJIDError, match="empty localpart"):
        validate_jid("@x")
    with pytest.raises(InvalidJIDError, match="empty domainpart"):
        validate_jid("x@")
    with pytest.raises(InvalidJIDError, match="empty resourcepart"):
        validate_jid("x@y/")
    with pytest.raises(InvalidJIDError, match="localpart longer than 1023 bytes"):
        validate_jid("a" * 1024 + "@d")
    with pytest.raises(InvalidJIDError, match="control character in resourcepart"):
        validate_jid("a@d/\x07")


@pytest.mark.parametrize(
    ("jid", "expected"),
    [
        ("alice@wonderland.lit/phone/2", "alice@wonderland.lit"),
        ("alice@wonderland.lit", "alice@wonderland.lit"),
        ("wonderland.lit/r", "wonderland.lit"),
    ],
)
def test_bare(jid, expected):
    assert bare(jid) == expected


# --- properties -------------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def _part_ok(part: str) -> bool:
    return (
        part != ""
        and len(part.encode("utf-8", "surrogatepass")) <= 1023
        and not any(_is_control(ch) or unicodedata.category(ch) == "Cs" for ch in part)
    )


def _oracle(jid: str) -> bool:
    """An independent statement of the rules: True iff ``jid`` is well formed."""
    head, has_slash, resource = jid.partition("/")
    if has_slash and not _part_ok(resource):
        return False
    if "@" in head:
        at = head.rindex("@")
        local, domain = head[:at], head[at + 1 :]
        if not _part_ok(local):
            return False
        if any(ch in "\"&'/:<>@" or ch.isspace() for ch in local):
            return False
    else:
        domain = head
    if domain in (".", ".."):  # dot-segments: no domain, and unsafe as a path segment
        return False
    return _part_ok(domain) and not any(ch.isspace() for ch in domain)


INTERESTING = st.sampled_from(
    list("ab.-_+%é日\U0001f600") + list("\"&'/:<>@ \t\n\x00\x1f\x7f\x85\u00a0\u2028\ud800")
)
PART = st.text(INTERESTING, max_size=6) | st.text(max_size=6)
STRUCTURED = st.builds(
    lambda local, domain, resource: (
        (f"{local}@" if local is not None else "")
        + domain
        + (f"/{resource}" if resource is not None else "")
    ),
    st.none() | PART,
    PART,
    st.none() | PART,
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40) | STRUCTURED)
def test_random_text_validates_or_raises_invalid_jid_error(text):
    try:
        result = validate_jid(text)
    except InvalidJIDError:
        assert not _oracle(text)
    else:
        assert result is text
        assert _oracle(text)


@settings(max_examples=200, deadline=None)
@given(STRUCTURED)
def test_parts_of_valid_jid_obey_the_rules(jid):
    try:
        validate_jid(jid)
    except InvalidJIDError:
        return
    head, has_slash, resource = jid.partition("/")
    local, has_at, domain = head.rpartition("@")
    assert domain and domain not in (".", "..")
    assert len(domain.encode()) <= 1023
    assert not any(ch.isspace() or _is_control(ch) for ch in domain)
    if has_at:
        assert local
        assert len(local.encode()) <= 1023
        assert not set(local) & set("\"&'/:<>@")
        assert not any(ch.isspace() or _is_control(ch) for ch in local)
    if has_slash:
        assert resource
        assert len(resource.encode()) <= 1023
        assert not any(_is_control(ch) for ch in resource)
    assert bare(jid) == head


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.integers(), st.binary(), st.none(), st.lists(st.text()), st.floats()))
def test_random_non_str_always_invalid_jid_error(value):
    with pytest.raises(InvalidJIDError):
        validate_jid(value)
