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
_STANZA_ID = "{urn:xmpp:sid:0}stanza-id"
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
        elif child.tag == _STANZA_ID:
            stanza_ids[child.get("by", "")] = child.get("id", "")
    attributes = [root.get(name, "") for name in ("id", "type", "to", "from")]
    if shielded:
        attributes = [value.translate(_UNSHIELD) for value in attributes]
        body = None if body is None else body.translate(_UNSHIELD)
    message_id, type_, to, from_ = attributes
    return MessageFields(message_id, type_, to, from_, body, stanza_ids)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
