"""The fake server's own JID parser, written independently of :mod:`aiomongoose.jid`.

It follows what MongooseIM's ``jid:from_binary`` accepts (see "JIDs in paths" in
``docs/server-behaviour.md``): ``[localpart@]domainpart[/resourcepart]``, each part at most
1023 bytes, the localpart without ``" & ' / : < > @`` or white space, the domain required
and without white space. The first ``/`` starts the resource (which may itself contain
``/`` and ``@``).

Stringprep is approximated by lower-casing the localpart and the domain: archives, users and
domains are keyed by that normalised form, while senders are reported as they were written.
"""

from __future__ import annotations

from functools import lru_cache

import attrs

_MAX_PART_BYTES = 1023
_LOCAL_FORBIDDEN = frozenset("\"&'/:<>@")


@attrs.frozen
class ParsedJID:
    """A JID split into its parts, as written (not normalised)."""

    local: str
    domain: str
    resource: str

    @property
    def bare(self) -> str:
        """The bare JID as written."""
        return f"{self.local}@{self.domain}" if self.local else self.domain

    @property
    def text(self) -> str:
        """The whole JID as written."""
        return f"{self.bare}/{self.resource}" if self.resource else self.bare

    @property
    def key(self) -> str:
        """The normalised bare JID that archives and users are keyed by."""
        return bare_key(self.local, self.domain)

    @property
    def domain_key(self) -> str:
        """The normalised domain."""
        return self.domain.lower()


def bare_key(local: str, domain: str) -> str:
    """The normalised bare JID of a localpart and a domain."""
    return f"{local.lower()}@{domain.lower()}" if local else domain.lower()


def _bad_part(part: str) -> bool:
    if not part or len(part.encode("utf-8", "surrogatepass")) > _MAX_PART_BYTES:
        return True
    return any(
        ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF for ch in part
    )


@lru_cache(maxsize=4096)
def parse_jid(text: str) -> ParsedJID | None:
    """Split ``text`` into a :class:`ParsedJID`, or return ``None`` when the server rejects it."""
    head, slash, resource = text.partition("/")
    if slash and _bad_part(resource):
        return None
    local, at, domain = head.partition("@")
    if not at:
        local, domain = "", head
    elif _bad_part(local) or _LOCAL_FORBIDDEN.intersection(local):
        return None
    elif any(ch.isspace() for ch in local):
        return None
    if _bad_part(domain) or "@" in domain or any(ch.isspace() for ch in domain):
        return None
    return ParsedJID(local, domain, resource)


def parse_or_raise(text: str, what: str) -> ParsedJID:
    """Like :func:`parse_jid`, but raise ``ValueError`` (for the seeding helpers)."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, not {type(text).__name__}")
    parsed = parse_jid(text)
    if parsed is None:
        raise ValueError(f"invalid {what} JID: {text!r}")
    return parsed


def domain_name_key(text: str) -> str | None:
    """A lone domain (GraphQL ``DomainName``) normalised, or ``None`` when nameprep fails.

    The same rules as the domain part of a JID (at most 1023 bytes, no white space or control
    characters), lower-cased. ``@`` and ``/`` pass, as they do MongooseIM's nameprep: such a
    domain is simply never registered.
    """
    if _bad_part(text) or any(ch.isspace() for ch in text):
        return None
    return text.lower()
