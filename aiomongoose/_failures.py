"""Failures mapped to our errors, without this client's credentials in them.

:func:`transport_error` turns an aiohttp failure (or a timeout) into a
:class:`~aiomongoose.errors.TransportError`, after :func:`scrub` has dropped our
``Authorization`` header from it. :class:`Redacting`, a base of
:class:`~aiomongoose._transport.Transport`, keeps the credentials a server echoes out of
the errors built from its answers (see :mod:`aiomongoose._secrets`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ._secrets import Redactor
from .errors import (
    ConnectionFailedError,
    MongooseIMError,
    RequestTimeoutError,
    TransportError,
)

__all__ = ["Redacting", "scrub", "transport_error"]

T = TypeVar("T")


class Redacting:
    """Errors without this client's credentials (none to hide when ``redactor`` is None)."""

    def __init__(self, redactor: Redactor | None) -> None:
        self._redactor = redactor

    def clean(self, body: bytes) -> bytes:
        """``body`` without this client's credentials (for error answers)."""
        return body if self._redactor is None else self._redactor.body(body)

    def redact(self, exc: MongooseIMError) -> MongooseIMError:
        """``exc`` (and its chain) without this client's credentials, in place."""
        if self._redactor is not None:
            self._redactor.error(exc)
        return exc

    def parse(self, parse: Callable[[int, bytes], T], status: int, body: bytes) -> T:
        """``parse(status, body)``; when it raises, the error tells nothing of this client's
        credentials: it is built again from the answer without them (so that no excerpt or
        clipped value cuts a token in two), then redacted. Costs nothing when it succeeds."""
        try:
            return parse(status, body)
        except MongooseIMError as exc:
            if self._redactor is None:
                raise
            error = exc
        clean = self._redactor.body(body)
        if clean != body:
            try:
                parse(status, clean)
            except MongooseIMError as exc:
                error = exc
        raise self.redact(error)  # outside `except`: no unredacted __context__

    def guard(self, parse: Callable[..., T], *args: Any) -> T:
        """``parse(*args)`` for an answer already decoded: its error is redacted."""
        try:
            return parse(*args)
        except MongooseIMError as exc:
            raise self.redact(exc) from exc.__cause__


def transport_error(method: str, url: URL, exc: BaseException, tries: int) -> TransportError:
    """The error for a request that failed below HTTP: timed out, or aiohttp raised."""
    scrub(exc)
    if isinstance(exc, asyncio.TimeoutError):
        detail = str(exc)
        what = f"timed out: {detail}" if detail else "timed out"
    else:
        what = f"failed: {type(exc).__name__}: {exc}"
    if tries > 1:
        what += f" (tried {tries} times)"
    text = f"{method} {url.with_query(None)} {what}"
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp's ServerTimeoutError is one too
        return RequestTimeoutError(text)
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)):
        return ConnectionFailedError(text)
    return TransportError(text)


def scrub(exc: BaseException) -> None:
    """Drop our ``Authorization`` header from ``exc``, in place."""
    # aiohttp's ClientResponseError (an answer that is not HTTP) keeps the request headers,
    # our Authorization among them, in its args and repr: drop that header.
    if not isinstance(exc, aiohttp.ClientResponseError):
        return
    info = exc.request_info
    if "Authorization" not in info.headers:
        return
    headers = CIMultiDict(info.headers)
    headers.popall("Authorization")
    exc.request_info = aiohttp.RequestInfo(
        info.url, info.method, CIMultiDictProxy(headers), info.real_url
    )
    exc.args = (exc.request_info, exc.history)
