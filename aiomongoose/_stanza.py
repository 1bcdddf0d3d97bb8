"""Reading the ``id`` attribute and the ``<body>`` text out of an archived message stanza.

GraphQL records carry the archived XML instead of REST's ``message_id`` and ``body`` fields
(shared GraphQL note, "Mapping to the REST record").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["StanzaError", "id_and_body"]

_CLIENT_NS = "jabber:client"


class StanzaError(ValueError):
    """The stanza is not a well-formed ``<message/>`` element."""


def id_and_body(stanza: str) -> tuple[str, str | None]:
    """``(id attribute or "", body text or None)`` of a ``<message/>`` stanza."""
    if "<!" in stanza:  # no DTDs, entity declarations or CDATA tricks in an archived stanza
        raise StanzaError("stanza holds a declaration")
    try:
        root = ET.fromstring(stanza)
    except ET.ParseError as exc:
        raise StanzaError(f"stanza is not well-formed XML: {exc}") from None
    if _local(root.tag) != "message":
        raise StanzaError(f"expected a <message/> stanza, got <{_local(root.tag)}/>")
    body = None
    for child in root:
        if child.tag in ("body", f"{{{_CLIENT_NS}}}body"):
            body = "".join(child.itertext())
            break
    return root.get("id", ""), body


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
