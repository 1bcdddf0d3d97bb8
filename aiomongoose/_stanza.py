"""Reading a ``<message/>`` stanza: its attributes, ``<body>`` text and archive ids.

GraphQL records carry the archived XML instead of REST's ``message_id`` and ``body`` fields
(docs/server-behaviour.md, "GraphQL reading and sending").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import attrs

__all__ = ["MessageFields", "StanzaError", "id_and_body", "message_fields"]

_CLIENT_NS = "jabber:client"
_SID_NS = "urn:xmpp:sid:0"
_STANZA_ID_TAG = "{urn:xmpp:sid:0}stanza-id"
_KEEP_WHITESPACE = str.maketrans({"\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})
_HAS_WHITESPACE = re.compile("[\r\n\t]").search

# Characters XML 1.0 forbids (C0 controls but TAB/LF/CR): a body sent through the admin API
# may hold them (terminal colour codes, say) and the server's printer writes them as they
# are, which no XML parser accepts. They are stood in for by private-use characters of
# plane 15 while parsing, then put back.
_FORBIDDEN = [c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]
_STAND_IN = 0xF0000
_SHIELD = str.maketrans({c: chr(_STAND_IN + c) for c in _FORBIDDEN})
_UNSHIELD = str.maketrans({_STAND_IN + c: chr(c) for c in _FORBIDDEN})
_HAS_FORBIDDEN = re.compile("[" + "".join(chr(c) for c in _FORBIDDEN) + "]").search
_HAS_STAND_IN = re.compile("[" + "".join(chr(_STAND_IN + c) for c in _FORBIDDEN) + "]").search


# How MongooseIM's printer (exml) writes a plain message: attribute values in single quotes,
# an optional <body> of plain text, then <stanza-id/> children with their attributes in
# name order. Such a stanza is read by these expressions alone; anything else (an entity, a
# control character, another child or namespace, double quotes) goes to the XML parser,
# which gives the same answer (tests/unit/test_stanza_fast_path.py).
_VALUE = "[^'&<>\x00-\x1f\ufffe\uffff]*"
_BODY = "[^&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*"
_ATTRIBUTES = f"(?: [a-z:]+='{_VALUE}')*"
_PLAIN_MESSAGE = re.compile(
    f"<message({_ATTRIBUTES})>(?:<body>({_BODY})</body>)?((?:<stanza-id{_ATTRIBUTES}/>)*)</message>"
).fullmatch
_ATTRIBUTE = re.compile(f" ([a-z:]+)='({_VALUE})'").findall
# The commonest of them, read in one match: a chat message as the server routes it.
_CANONICAL = re.compile(
    f"<message from='({_VALUE})' id='({_VALUE})' to='({_VALUE})' type='({_VALUE})'"
    f"(?: xmlns='jabber:client')?>(?:<body>({_BODY})</body>)?"
    f"(?:<stanza-id by='({_VALUE})' id='({_VALUE})' xmlns='urn:xmpp:sid:0'/>"
    f"|<stanza-id xmlns='urn:xmpp:sid:0' by='({_VALUE})' id='({_VALUE})'/>)?"
    "</message>"
).fullmatch
_STANZA_ID = re.compile(f"<stanza-id({_ATTRIBUTES})/>").findall


class StanzaError(ValueError):
    """The stanza is not a well-formed ``<message/>`` element."""


def id_and_body(stanza: str) -> tuple[str, str | None]:
    """``(id attribute or "", body text or None)`` of a ``<message/>`` stanza."""
    fields = message_fields(stanza)
    return fields.id, fields.body


@attrs.frozen
class MessageFields:
    """What a ``<message/>`` stanza says: attributes (``""`` when absent), the ``<body>``
    text (``None`` without one), and the archive ids of ``<stanza-id by=... id=.../>``
    children (XEP-0359), as ``{by: id}``."""

    id: str
    type: str
    to: str
    from_: str
    body: str | None
    stanza_ids: dict[str, str]


def message_fields(stanza: str) -> MessageFields:
    """Parse a ``<message/>`` stanza; :class:`StanzaError` when it is not one."""
    canonical = _CANONICAL(stanza)
    if canonical is not None and _is_text(stanza):
        from_, id_, to, type_, body, by, archive_id, by2, archive_id2 = canonical.groups()
        if by2 is not None:
            by, archive_id = by2, archive_id2
        stanza_ids = {} if by is None else {by: archive_id}
        return MessageFields(id_, type_, to, from_, body, stanza_ids)
    plain = _PLAIN_MESSAGE(stanza)
    if plain is not None:
        fields = _plain_fields(stanza, plain)
        if fields is not None:
            return fields
    return _parsed_fields(stanza)


def _plain_fields(stanza: str, plain: re.Match[str]) -> MessageFields | None:
    attributes = dict(_ATTRIBUTE(plain.group(1)))
    repeated = len(attributes) != plain.group(1).count("='")  # a value holds no quote
    if repeated or attributes.get("xmlns", _CLIENT_NS) != _CLIENT_NS:
        return None  # a repeated attribute (an XML error) or another namespace
    if not _is_text(stanza):
        return None  # a lone surrogate: let the parser path refuse it
    stanza_ids: dict[str, str] = {}
    for text in _STANZA_ID(plain.group(3)):
        child = dict(_ATTRIBUTE(text))
        if len(child) != text.count("='") or child.get("xmlns") != _SID_NS:
            return None
        stanza_ids[child.get("by", "")] = child.get("id", "")
    get = attributes.get
    return MessageFields(
        get("id", ""), get("type", ""), get("to", ""), get("from", ""), plain.group(2), stanza_ids
    )


def _is_text(stanza: str) -> bool:
    try:
        stanza.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parsed_fields(stanza: str) -> MessageFields:
    if "<!" in stanza:  # no DTDs, entity declarations or CDATA tricks in an archived stanza
        raise StanzaError("stanza holds a declaration")
    try:
        stanza.encode("utf-8")
    except UnicodeEncodeError:
        raise StanzaError("stanza holds a lone surrogate") from None
    shielded = _HAS_FORBIDDEN(stanza) is not None
    if shielded and _HAS_STAND_IN(stanza) is not None:
        raise StanzaError("stanza holds both control characters and their stand-ins")
    text = stanza.translate(_SHIELD) if shielded else stanza
    try:
        # An XML parser turns a literal CR (or CRLF) into LF, and TAB/LF/CR in an attribute
        # value into spaces; the server's printer (exml) writes them literally, never inside
        # the markup itself, so as character references they reach us unchanged.
        root = ET.fromstring(
            text.translate(_KEEP_WHITESPACE) if _HAS_WHITESPACE(text) is not None else text
        )
    except ET.ParseError as exc:
        raise StanzaError(f"stanza is not well-formed XML: {exc}") from None
    if _local(root.tag) != "message":
        raise StanzaError(f"expected a <message/> stanza, got <{_local(root.tag)}/>")
    body = None
    stanza_ids: dict[str, str] = {}
    for child in root:
        if body is None and child.tag in ("body", f"{{{_CLIENT_NS}}}body"):
            body = "".join(child.itertext())
        elif child.tag == _STANZA_ID_TAG:
            stanza_ids[child.get("by", "")] = child.get("id", "")
    attributes = [root.get(name, "") for name in ("id", "type", "to", "from")]
    if shielded:
        attributes = [value.translate(_UNSHIELD) for value in attributes]
        body = None if body is None else body.translate(_UNSHIELD)
    message_id, type_, to, from_ = attributes
    return MessageFields(message_id, type_, to, from_, body, stanza_ids)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
