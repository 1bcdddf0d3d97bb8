"""Keeping credentials out of error messages: URLs with userinfo, and servers that echo them.

:func:`redact_url` hides the userinfo of a URL that is about to be shown (the URL may be
too malformed to parse, so this works on the text). :class:`Redactor` removes a client's
credentials from the errors built out of a server's answer: a server or proxy that echoes
the ``Authorization`` header (or its token, or the decoded password) in an error body must
not get them into an exception's text. It runs only on the error path: successful answers
are never scanned.
"""

from __future__ import annotations

import base64
import json

__all__ = ["REDACTED", "Redactor", "redact_url"]

REDACTED = "***"
_ELLIPSIS = "..."
# The shortest partial token worth cutting from the end of a cut-short excerpt.
_MIN_PARTIAL = 4


def redact_url(text: str) -> str:
    """``text`` with everything between the scheme and the last ``@`` replaced by ``***``.

    Taken from the text, not a parsed URL: it is used for URLs that failed to parse. The
    last ``@`` is used (a password may hold ``@``, ``/`` or ``?`` unencoded); a path with
    ``@`` in it is shown shorter than it was, never with a password.
    """
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    at = rest.rfind("@")
    if at < 0:
        return text
    return f"{scheme}{sep}{REDACTED}@{rest[at + 1 :]}"


def basic_token(user: str, password: str) -> str:
    """The base64 token of HTTP Basic, UTF-8 encoded (RFC 7617)."""
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class Redactor:
    """Replaces one set of credentials by ``***`` in texts, answers and our exceptions."""

    def __init__(self, user: str, password: str) -> None:
        token = basic_token(user, password)
        # (form, the shortest start of it that is already secret), longest form first so
        # that "Basic <token>" goes whole rather than as "Basic ***".
        forms = {
            f"Basic {token}": _MIN_PARTIAL,
            token: _MIN_PARTIAL,
            token.replace("/", "\\/"): _MIN_PARTIAL,  # as some JSON encoders write it
            f"{user}:{password}": len(user) + 2,  # "user:" alone is no secret
        }
        if password:
            # Also JSON-escaped: a body that is not decoded shows "\u00e4" for "ä".
            forms[password] = min(_MIN_PARTIAL, len(password))
            forms[json.dumps(password)[1:-1]] = min(_MIN_PARTIAL, len(password))
        self._forms = sorted(forms.items(), key=lambda item: len(item[0]), reverse=True)
        self._raw = [form.encode() for form, _ in self._forms]

    def text(self, text: str) -> str:
        """``text`` without the credentials, nor a start of them cut off before ``...``
        (an excerpt or a clipped value that stops inside a token)."""
        for form, _ in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        start = 0
        while (cut := text.find(_ELLIPSIS, start)) >= 0:
            head = text[:cut]
            for form, shortest in self._forms:
                size = next(
                    (n for n in range(min(len(form) - 1, len(head)), shortest - 1, -1)
                     if head.endswith(form[:n])),
                    0,
                )  # fmt: skip
                if size:
                    head = head[:-size] + REDACTED
                    text = head + text[cut:]
                    break
            start = len(head) + len(_ELLIPSIS)
        return text

    def body(self, data: bytes) -> bytes:
        """An answer's bytes without the credentials (as UTF-8)."""
        for raw in self._raw:
            if raw in data:
                data = data.replace(raw, REDACTED.encode())
        return data

    def error(self, exc: BaseException) -> BaseException:
        """Redact ``exc`` and the exceptions chained to it, in place: their text attributes
        and ``args``. Returns ``exc``."""
        seen: set[int] = set()
        item: BaseException | None = exc
        todo: list[BaseException | None] = []
        while item is not None or todo:
            if item is not None and id(item) not in seen:
                seen.add(id(item))
                for name, value in vars(item).items():
                    if isinstance(value, str):
                        setattr(item, name, self.text(value))
                item.args = tuple(self.text(a) if isinstance(a, str) else a for a in item.args)
                todo += [item.__cause__, item.__context__]
            item = todo.pop() if todo else None
        return exc
