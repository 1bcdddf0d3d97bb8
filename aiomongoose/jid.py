"""JID validation (RFC 7622 shape, as MongooseIM's jid:from_binary accepts it).

A JID is ``[localpart@]domainpart[/resourcepart]``; each part is at most 1023 bytes of
UTF-8, the domain is required, and the localpart may not contain any of ``" & ' / : < > @``
or white space. The domainpart may not be ``.`` or ``..``: no DNS name or IP literal is, and
as a whole path segment either is a dot-segment that a normalising proxy would resolve into
another path (``GET /api/users/..`` becoming ``GET /api``). The checks run before any request
so that a typo never reaches the server (where, in a URL path, an unencoded ``/`` would
silently become another segment).
"""

from __future__ import annotations

from .errors import InvalidJIDError

__all__ = ["bare", "validate_domain", "validate_jid"]

_MAX_PART_BYTES = 1023
# JIDs already found valid: checking one costs about 10 us, a set lookup nothing.
_VALID: set[str] = set()
_VALID_MAX = 4096
_LOCAL_FORBIDDEN = frozenset("\"&'/:<>@")
_DOT_SEGMENTS = frozenset((".", ".."))


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in text)


def _check_part(jid: str, name: str, part: str) -> None:
    if not part:
        raise InvalidJIDError(f"invalid JID {jid!r}: empty {name}")
    if len(part.encode("utf-8", "surrogatepass")) > _MAX_PART_BYTES:
        raise InvalidJIDError(f"invalid JID {jid!r}: {name} longer than {_MAX_PART_BYTES} bytes")
    if _has_control(part):
        raise InvalidJIDError(f"invalid JID {jid!r}: control character in {name}")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in part):
        raise InvalidJIDError(f"invalid JID {jid!r}: lone surrogate in {name}")


def validate_jid(jid: object, what: str = "JID") -> str:
    """Return ``jid`` unchanged if it is a well-formed JID, else raise :class:`InvalidJIDError`."""
    if type(jid) is str and jid in _VALID:  # a bot or an export names the same few JIDs
        return jid
    if not isinstance(jid, str):
        raise InvalidJIDError(f"{what} must be a str, not {type(jid).__name__}")
    rest, slash, resource = jid.partition("/")
    if slash:
        _check_part(jid, "resourcepart", resource)
    local, at, domain = rest.rpartition("@")
    if at:
        _check_part(jid, "localpart", local)
        bad = _LOCAL_FORBIDDEN.intersection(local)
        if bad or any(ch.isspace() for ch in local):
            shown = "".join(sorted(bad)) or "white space"
            raise InvalidJIDError(f"invalid JID {jid!r}: localpart may not contain {shown!r}")
    _check_part(jid, "domainpart", domain)
    if any(ch.isspace() for ch in domain):
        raise InvalidJIDError(f"invalid JID {jid!r}: white space in domainpart")
    if domain in _DOT_SEGMENTS:
        raise InvalidJIDError(f"invalid JID {jid!r}: domainpart {domain!r} is not a domain")
    if type(jid) is str:  # not a str subclass, whose equality could differ
        if len(_VALID) >= _VALID_MAX:
            _VALID.clear()
        _VALID.add(jid)
    return jid


def validate_domain(domain: object, what: str = "domain") -> str:
    """Return ``domain`` if it is a well-formed bare domain (a JID with no local part or
    resource), else raise :class:`InvalidJIDError`."""
    validate_jid(domain, what)
    assert isinstance(domain, str)
    if "@" in domain or "/" in domain:
        raise InvalidJIDError(f"{what} takes a domain, not {domain!r}")
    return domain


def bare(jid: str) -> str:
    """The JID without its resource."""
    return jid.partition("/")[0]
