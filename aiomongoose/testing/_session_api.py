"""The session and live-message methods of :class:`~aiomongoose.testing.FakeMongooseIM`."""

from __future__ import annotations

from ._archive import StoredMessage
from ._jid import parse_or_raise
from ._routing import route_message
from ._state import AppState

__all__ = ["LiveMessaging"]


class LiveMessaging:
    """Messages routed as a user's client sends them, client sessions, SSE sessions.

    An SSE subscription (``GET /api/graphql/sse``) is a session of its caller with resource
    ``sse-<uuid4>`` and priority 1. A message reaches it when it is routed to the caller's
    bare JID and no session of the caller with a higher priority is online, to a full JID
    of the caller whose resource has no session, or to that session's own full JID.
    Messages are routed by ``POST /messages``, GraphQL ``sendMessage`` and
    :meth:`route_message`; :meth:`add_message` only seeds the archive.
    """

    _state: AppState

    def route_message(
        self,
        sender: str,
        recipient: str,
        *,
        body: str | None = "Hello!",
        message_id: str | None = None,
        type: str | None = "chat",
        archive: bool = True,
    ) -> StoredMessage | None:
        """Route a ``<message/>`` from ``sender`` to ``recipient`` as the sender's client would.

        The message takes the next time of the fake clock (see ``clock_us``), is archived
        like a send when ``archive`` is true (for each party that is a registered user, if
        ``mam_enabled``, it has a body and its ``type`` is "chat", "normal" or None), and
        reaches the recipient's SSE sessions as routing decides. The sender need not be a
        registered user. ``body=None`` sends no ``<body>`` (never archived); ``message_id``
        None generates one, ``""`` sends none; ``type=None`` sends no ``type`` attribute.
        The live stanza carries ``<stanza-id xmlns='urn:xmpp:sid:0' by=BARE id=ARCHIVE_ID/>``
        when the message was archived for the recipient (not for a message to oneself).
        Returns the archived message, or ``None`` when nothing archived it. ``ValueError``
        for an invalid JID.
        """
        if body is not None and not isinstance(body, str):
            raise TypeError("body must be a str or None")
        if type is not None and not isinstance(type, str):
            raise TypeError("type must be a str or None")
        state = self._state
        return route_message(
            state,
            parse_or_raise(sender, "sender"),
            sender,
            parse_or_raise(recipient, "recipient"),
            recipient,
            body=body,
            message_id=state.new_message_id() if message_id is None else message_id,
            type_=type,
            archive=archive,
        )

    def connect_client(self, jid: str, *, priority: int = 5) -> None:
        """Put a client session of a registered user online (or change its priority).

        ``jid`` is the session's full JID. While a session with a priority above 1 is
        online, messages to the user's bare JID go to it and not to the user's SSE
        subscriptions (the archive still gets them); messages to its full JID always go to
        it. What the session receives is not kept. ``ValueError`` for a bare JID, a user that is not
        registered or a priority outside -128..127.
        """
        parsed = parse_or_raise(jid, "client")
        if not parsed.resource:
            raise ValueError(f"a client session needs a full JID, not {jid!r}")
        if not self._state.archive.has_user(parsed.key):
            raise ValueError(f"{parsed.bare!r} is not a registered user")
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise TypeError("priority must be an int")
        if not -128 <= priority <= 127:
            raise ValueError("priority must be in -128..127")
        self._state.router.connect_client(parsed, priority)

    def disconnect_client(self, jid: str) -> None:
        """Take the client session ``jid`` (a full JID) offline; nothing if it is not online."""
        self._state.router.disconnect_client(parse_or_raise(jid, "client"))

    def sse_sessions(self, jid: str | None = None) -> list[str]:
        """The full JIDs (``user@domain/sse-<uuid4>``) of the open SSE sessions, sorted.

        Of the bare part of ``jid``, or of every user when it is ``None``. A session opens
        when a subscription's stream starts and closes when the stream ends for any reason
        (the client closing the connection, ``sse_idle_timeout``, a fault, :meth:`close`).
        """
        key = None if jid is None else parse_or_raise(jid, "user").key
        return self._state.router.sse_sessions(key)

    async def wait_for_sse_sessions(
        self, count: int, jid: str | None = None, *, timeout: float = 5.0
    ) -> None:
        """Wait until exactly ``count`` SSE sessions are open (of ``jid``'s user, or of all).

        For tests: wait for a subscription to be open before routing messages to it, or for
        a closed one to end (the server sees a closed connection a moment later).
        ``asyncio.TimeoutError`` after ``timeout`` seconds.
        """
        key = None if jid is None else parse_or_raise(jid, "user").key
        await self._state.router.wait_for_sse(count, key, timeout)
