"""The regular-expression path for plain message stanzas gives what the XML parser gives."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiomongoose._stanza import (
    _PLAIN_MESSAGE,
    StanzaError,
    _parsed_fields,
    _plain_fields,
    message_fields,
)

# Text with the characters that matter: quotes, markup, entities' first letters, the
# whitespace the parser would normalise, forbidden controls, non-BMP and odd code points.
TEXT = st.text(
    alphabet=st.sampled_from(list("ab z'\"<>&;#é\t\n\r\x01\x1b\ufffe\U0001f600") + ["\ud800"]),
    max_size=12,
)
# Mostly what the fast path takes, with now and then a character it must leave alone.
PLAIN_TEXT = st.text(
    alphabet=st.sampled_from([*'ab z.@/-_é"', "\U0001f600"]),
    max_size=12,
)
NAMES = st.sampled_from(["id", "type", "to", "from", "xmlns", "xml:lang", "x"])


def quote(value: str) -> str:
    # exml's way: single quotes, the five predefined entities where needed
    return "'" + quoteattr(value)[1:-1].replace("'", "&apos;").replace("&quot;", '"') + "'"


@st.composite
def stanzas(draw) -> str:
    text = draw(st.sampled_from([TEXT, PLAIN_TEXT, PLAIN_TEXT]))
    attributes = draw(st.lists(st.tuples(NAMES, text), max_size=5, unique_by=lambda a: a[0]))
    if text is PLAIN_TEXT:  # the client namespace, as the server writes it
        attributes = [(n, "jabber:client" if n == "xmlns" else v) for n, v in attributes]
    raw = draw(st.integers(0, 3)) == 0  # unescaped values sometimes: malformed XML too
    head = "".join(f" {n}={quote(v) if not raw else repr(v)}" for n, v in attributes)
    body = draw(st.one_of(st.none(), text))
    inner = "" if body is None else f"<body>{body if raw else escape(body)}</body>"
    for by, sid in draw(st.lists(st.tuples(text, text), max_size=2)):
        parts = [f"by={quote(by)}", f"id={quote(sid)}", "xmlns='urn:xmpp:sid:0'"]
        if draw(st.booleans()):  # any attribute order, and now and then another namespace
            parts = draw(st.permutations(parts + draw(st.sampled_from([[], ["xmlns='x'"]]))))
        inner += f"<stanza-id {' '.join(parts)}/>"
    return f"<message{head}>{inner}</message>"


def outcome(parse, stanza: str):
    try:
        return parse(stanza)
    except StanzaError:
        return StanzaError


@settings(max_examples=1000)
@given(stanzas())
def test_both_paths_agree(stanza):
    expected = outcome(_parsed_fields, stanza)
    plain = _PLAIN_MESSAGE(stanza)
    if plain is not None:
        fast = _plain_fields(stanza, plain)
        if fast is not None:
            assert fast == expected, stanza
    assert outcome(message_fields, stanza) == expected


@pytest.mark.parametrize(
    "stanza",
    [
        "<message from='a@b/c' id='m1' to='d@e' type='chat' xmlns='jabber:client'>"
        "<body>Hello, world</body>"
        "<stanza-id by='d@e' id='C8OJ1J2PHP81' xmlns='urn:xmpp:sid:0'/></message>",
        "<message to='d@e'></message>",
        "<message><body></body></message>",
        "<message><stanza-id xmlns='urn:xmpp:sid:0' by='a@b' id='1'/></message>",
        "<message id='x'><body>line 1\r\nline 2\ttab</body></message>",
    ],
)
def test_the_servers_usual_stanzas_take_the_fast_path(stanza):
    plain = _PLAIN_MESSAGE(stanza)
    assert plain is not None and _plain_fields(stanza, plain) == _parsed_fields(stanza)


@st.composite
def canonical_stanzas(draw) -> str:
    """A chat message in the form the server routes it (the one-match path), with now and
    then a character that must send it down another path."""
    text = draw(st.sampled_from([PLAIN_TEXT, PLAIN_TEXT, TEXT]))
    from_, id_, to, type_ = (quote(draw(text)) for _ in range(4))
    head = f"<message from={from_} id={id_} to={to} type={type_}"
    head += draw(st.sampled_from(["", " xmlns='jabber:client'"])) + ">"
    body = draw(st.one_of(st.none(), text))
    inner = "" if body is None else f"<body>{escape(body)}</body>"
    by, sid = quote(draw(text)), quote(draw(text))
    inner += draw(
        st.sampled_from(
            [
                "",
                f"<stanza-id by={by} id={sid} xmlns='urn:xmpp:sid:0'/>",
                f"<stanza-id xmlns='urn:xmpp:sid:0' by={by} id={sid}/>",
            ]
        )
    )
    return f"{head}{inner}</message>"


@settings(max_examples=1000)
@given(canonical_stanzas())
def test_the_one_match_path_agrees_with_the_parser(stanza):
    assert outcome(message_fields, stanza) == outcome(_parsed_fields, stanza)
