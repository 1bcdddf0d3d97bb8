"""Sessions, and the routing of a message to them (docs/server-behaviour.md, "Subscriptions
over SSE", and MongooseIM's session manager, ``ejabberd_sm:do_route``):

- a message to a full JID whose resource has a session goes to that session only;
- to a bare JID: to every session of the user with the highest priority, when that priority
  is 0 or more (otherwise to offline storage, which the fake does not keep);
- to a full JID whose resource has no session: to every SSE session of the user, as
  docs/server-behaviour.md says. (``ejabberd_sm`` itself seems to route it as to the bare
  JID, ``do_route_offline`` then ``route_message``, so that a client with a higher priority
  would take it; the fake follows the document until that is settled.)

An SSE subscription is a session with the resource ``sse-<uuid4>`` and priority 1
(``mongoose_stanza_api:do_open_session``). So while a client of the same user with a higher
priority is online, messages to the bare JID reach that client and not the subscriptions;
the archive has them all the same. The fake's client sessions
(:meth:`Router.connect_client`) exist only to take part in that choice: what they receive
is not kept.

:func:`route_message` archives a message and routes it, in the request that sends it. Each
SSE session queues what reaches it until its stream writes it, as the real session process
holds it in its mailbox: the queue holds references to one shared :class:`LiveMessage`
each, and the stream encodes an event only when the connection can take it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import attrs

from ._jid import ParsedJID
from ._xmpp import render_live_stanza

if TYPE_CHECKING:
    from ._archive import StoredMessage
    from ._state import AppState

__all__ = ["SSE_PRIORITY", "LiveMessage", "Router", "SseSession", "deliver", "route_message"]

#: The priority of the session behind an SSE subscription.
SSE_PRIORITY = 1
# mod_mam archives one-to-one messages of these types (mod_mam_utils:is_valid_message_type;
# an incoming groupchat message too, which the fake leaves out) when they have a body.
_ARCHIVED_TYPES = (None, "normal", "chat")


@attrs.frozen
class LiveMessage:
    """A message as routed to a session: what ``subscribeForMessages`` resolves to.

    ``time_us`` is the routing time; ``stanza_id`` the stanza's ``id`` attribute ("" when
    it has none), not the archive id; ``stanza`` the XML the session receives.
    """

    sender: str
    time_us: int
    stanza_id: str
    stanza: str


class SseSession:
    """The session of one SSE subscription: its full JID and what was routed to it."""

    def __init__(self, jid: str) -> None:
        self.jid = jid
        self.inbox: asyncio.Queue[LiveMessage] = asyncio.Queue()


class Router:
    """The online sessions of every user, keyed by normalised bare JID, then resource."""

    def __init__(self) -> None:
        self._sse: dict[str, dict[str, SseSession]] = {}
        self._clients: dict[str, dict[str, int]] = {}
        self._waiters: set[asyncio.Future[None]] = set()

    # SSE sessions

    def open_sse(self, user: ParsedJID) -> SseSession:
        """Open the session of a new subscription of ``user``."""
        resource = f"sse-{uuid.uuid4()}"
        session = SseSession(f"{user.key}/{resource}")
        self._sse.setdefault(user.key, {})[resource] = session
        self._changed()
        return session

    def close_sse(self, session: SseSession) -> None:
        """End a subscription's session (idempotent)."""
        key, _, resource = session.jid.partition("/")
        sessions = self._sse.get(key, {})
        if sessions.pop(resource, None) is not None:
            if not sessions:
                del self._sse[key]
            self._changed()

    def sse_sessions(self, key: str | None) -> list[str]:
        """The full JIDs of the open SSE sessions of one user (``None``: of all), sorted."""
        groups = self._sse.values() if key is None else [self._sse.get(key, {})]
        return sorted(session.jid for group in groups for session in group.values())

    async def wait_for_sse(self, count: int, key: str | None, timeout: float) -> None:
        """Wait until ``count`` SSE sessions are open (of one user, or of all)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.sse_sessions(key)) != count:
            waiter = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, max(0.0, deadline - loop.time()))
            finally:
                self._waiters.discard(waiter)

    def _changed(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    # Client sessions

    def connect_client(self, jid: ParsedJID, priority: int) -> None:
        """Put a client session online (or change its priority)."""
        self._clients.setdefault(jid.key, {})[jid.resource] = priority

    def disconnect_client(self, jid: ParsedJID) -> None:
        """Take a client session offline (idempotent)."""
        clients = self._clients.get(jid.key, {})
        clients.pop(jid.resource, None)
        if not clients:
            self._clients.pop(jid.key, None)

    # Routing

    def receivers(self, recipient: ParsedJID) -> list[SseSession]:
        """The SSE sessions that a message to ``recipient`` reaches."""
        sse = self._sse.get(recipient.key, {})
        clients = self._clients.get(recipient.key, {})
        resource = recipient.resource
        if resource in clients:
            return []
        if resource in sse:
            return [sse[resource]]
        if resource:  # a resource without a session: see the module's docstring
            return list(sse.values())
        if max(clients.values(), default=SSE_PRIORITY) > SSE_PRIORITY:
            return []  # a client of a higher priority takes what goes to the bare JID
        return list(sse.values())


def route_message(
    state: AppState,
    sender: ParsedJID,
    sender_text: str,
    recipient: ParsedJID,
    recipient_text: str,
    *,
    body: str | None,
    message_id: str,
    type_: str | None = "chat",
    archive: bool = True,
) -> StoredMessage | None:
    """Archive a message as MAM would, then deliver it to the SSE sessions it reaches.

    It takes the next send time of the fake clock. It is archived (for each party that is a
    registered user) when ``archive`` is true, the archive module runs, it has a body and
    its type is normal or chat. Its live stanza carries a ``<stanza-id/>`` when it was
    archived for the recipient: not for a message to oneself, whose incoming copy MAM does
    not archive. Returns the archived message, or ``None``.
    """
    time_us = state.clock.next_send_us()
    stored = None
    if archive and state.mam_enabled and body is not None and type_ in _ARCHIVED_TYPES:
        stored = state.archive.store(
            sender, sender_text, recipient, recipient_text,
            time_us=time_us, body=body, message_id=message_id, type_=type_,
        )  # fmt: skip
    archived_as = None
    if stored is not None and recipient.key != sender.key:
        archived_as = (recipient.key, stored.stanza_id)
    deliver(
        state, sender_text, recipient, recipient_text,
        time_us=time_us, body=body, message_id=message_id, type_=type_, archived_as=archived_as,
    )  # fmt: skip
    return stored


def deliver(
    state: AppState,
    sender_text: str,
    recipient: ParsedJID,
    recipient_text: str,
    *,
    time_us: int,
    body: str | None,
    message_id: str,
    type_: str | None,
    archived_as: tuple[str, str] | None,
) -> None:
    """Hand a routed message to the SSE sessions it reaches (nothing is archived here);
    ``archived_as`` is ``(by, archive id)`` for its ``<stanza-id/>``."""
    receivers = state.router.receivers(recipient)
    if receivers:
        stanza = render_live_stanza(
            sender_text, recipient_text, message_id, body, type_, archived_as
        )
        live = LiveMessage(sender_text, time_us, message_id, stanza)
        for session in receivers:
            session.inbox.put_nowait(live)
