"""The aiohttp session a client uses, per event loop, and the slots that bound its requests.

:class:`SessionOwner` is the base of :class:`~aiomongoose._transport.Transport`: the
session and the slots serve one event loop at a time. A session we made is created lazily
inside the running loop and closed when that loop shuts down (or by :meth:`~SessionOwner.close`);
a session given to us is never replaced, and is checked against the running loop instead.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator

import aiohttp

from .errors import ClientClosedError, EventLoopError

__all__ = ["SessionOwner"]


class SessionOwner:
    """One session (ours or the caller's) and ``max_connections`` slots, for one loop."""

    def __init__(self, session: aiohttp.ClientSession | None, max_connections: int) -> None:
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._semaphore: asyncio.Semaphore | None = None
        self._waiting = 0  # calls waiting for a slot: woken by close()
        # The loop the session and the slots belong to, and the async generator whose
        # clean-up closes a session we made when that loop shuts down (see _made_session).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None
        self.closed = False

    async def _enter_loop(self) -> None:
        """Check (cheaply) that the running loop is the one the session and slots serve."""
        if self.closed:
            raise ClientClosedError("this AdminClient is closed")
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            await self._move_to(loop)

    async def _move_to(self, loop: asyncio.AbstractEventLoop) -> None:
        session = self._session
        if not self._owns_session:
            # A session given to us is never replaced; aiohttp's would fail obscurely.
            if session is not None and getattr(session, "_loop", loop) is not loop:
                raise EventLoopError(
                    "the aiohttp session given to AdminClient belongs to another event loop "
                    "(a session is bound to the loop it was made in; the client never "
                    "replaces yours): make the session in the loop that uses the client"
                )
        elif session is not None:
            old = self._loop
            if old is not None and not old.is_closed():
                raise EventLoopError(
                    "this AdminClient's session belongs to another event loop, which is still "
                    "open: use the client from that loop, or one client per loop"
                )
            # Its loop closed without asyncio.run's clean-up: its connections died with it.
            await self._drop_session()
        self._loop = loop
        self._semaphore = None  # bound to the old loop once anybody waited on it

    async def _session_now(self) -> aiohttp.ClientSession:
        """The session, taken only once the call holds a slot (close() may have come)."""
        if self.closed:
            raise ClientClosedError("this AdminClient is closed")
        session = self._session
        if session is None:
            return await self._made_session()
        if session.closed:
            raise ClientClosedError("the aiohttp session given to AdminClient is closed")
        return session

    async def _made_session(self) -> aiohttp.ClientSession:
        # Created lazily, inside the running loop (aiohttp warns otherwise). An async
        # generator holds it: when the loop shuts down (asyncio.run, a test framework's
        # loop), its shutdown_asyncgens() closes the generator, which closes the session
        # properly and lets the next loop make a new one.
        connector = aiohttp.TCPConnector(limit=self._max_connections)
        session = aiohttp.ClientSession(connector=connector)
        guard = _closed_with_the_loop(weakref.ref(self), session)
        await guard.__anext__()  # registers it with the running loop
        self._session, self._guard = session, guard
        return session

    def _forget(self, session: aiohttp.ClientSession) -> None:
        if self._session is session:
            self._session, self._guard = None, None

    async def _drop_session(self) -> None:
        guard, session = self._guard, self._session
        self._session, self._guard = None, None
        if guard is not None:
            await guard.aclose()  # closes the session
        elif session is not None:
            await session.close()

    def _slots(self) -> asyncio.Semaphore:
        # Bounds this client's requests in flight, whoever owns the session, so that a
        # timeout only runs once the request holds a slot (aiohttp's own timers would
        # also count the wait for a free connection of the pool).
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._max_connections)
        return self._semaphore

    async def close(self) -> None:
        """Calls waiting for a slot end with ClientClosedError at once; calls in flight on
        the session we made end with it too (closing it aborts them); on a caller's session
        they finish. Idempotent."""
        self.closed = True
        if self._semaphore is not None:
            for _ in range(self._waiting):  # each wakes, sees `closed` and gives up
                self._semaphore.release()
        if not self._owns_session:
            self._session = None
            return
        loop, running = self._loop, asyncio.get_running_loop()
        if loop is not None and loop is not running and not loop.is_closed():
            # Closed from another loop while its own is still open: close it there.
            guard, self._session, self._guard = self._guard, None, None
            if guard is not None:
                asyncio.run_coroutine_threadsafe(guard.aclose(), loop)
            return
        await self._drop_session()


async def _closed_with_the_loop(
    transport: weakref.ref[SessionOwner], session: aiohttp.ClientSession
) -> AsyncGenerator[None, None]:
    """Suspended for the session's life: closing the generator (loop shutdown, GC, close())
    closes the session."""
    try:
        yield
    finally:
        owner = transport()
        if owner is not None:
            owner._forget(session)
        await session.close()
