"""The fault-injection methods of :class:`~aiomongoose.testing.FakeMongooseIM`."""

from __future__ import annotations

from ._faults import DEFAULT_MALFORMED_BODY, Decision, DropWhen, FaultKind
from ._state import AppState

__all__ = ["FaultInjection"]


class FaultInjection:
    """Faults, decided when a request arrives, for the REST and the GraphQL API alike.

    A fault is decided after the delay and before Host matching, authentication or any
    handling.
    """

    _state: AppState

    def fail_next(
        self, n: int = 1, *, status: int = 503, body: bytes | str = b"", method: str | None = None
    ) -> None:
        """Answer the next ``n`` requests (of ``method`` only, if given) with ``status``.

        The requests are not handled. A ``bytes`` body is sent as is without Content-Type; a
        ``str`` body is sent as this version's error text (a JSON string in 6.x).
        """
        self._state.faults.add(Decision("fail", status, body), n, method)

    def delay(self, seconds: float) -> None:
        """Delay every answer by ``seconds`` (0 turns the delay off).

        A delay in progress ends early when the server closes.
        """
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._state.faults.delay_s = float(seconds)

    def drop_next(
        self, n: int = 1, *, when: DropWhen = "before", method: str | None = None
    ) -> None:
        """Drop the connection of the next ``n`` requests (of ``method`` only, if given).

        ``when="before"``: the request is not handled and no byte of answer is sent.
        ``when="during"``: the request is handled (a send is archived), then a 200 header
        with the full Content-Length and half of the body are sent, and the connection closes.

        Note that aiohttp's client (3.x) silently retries a GET (any idempotent method)
        once when the connection closes before the answer, so ``drop_next(1)`` is invisible
        to it: use ``n=2`` to make an aiohttp GET fail. The retry is another request.
        """
        if when not in ("before", "during"):
            raise ValueError(f"when must be 'before' or 'during', not {when!r}")
        kind: FaultKind = "drop-before" if when == "before" else "drop-during"
        self._state.faults.add(Decision(kind), n, method)

    def malformed_next(
        self, n: int = 1, *, body: bytes = DEFAULT_MALFORMED_BODY, method: str | None = None
    ) -> None:
        """Answer the next ``n`` requests (not handled) with 200, JSON Content-Type and ``body``.

        The default body is truncated JSON.
        """
        self._state.faults.add(Decision("malformed", 200, body), n, method)

    def drop_stream_after(self, n_events: int, *, streams: int = 1) -> None:
        """Break off each of the next ``streams`` SSE streams after its ``n_events``-th event.

        The stream (``GET /api/graphql/sse`` that opens a subscription) starts as usual,
        sends ``n_events`` events (0: none), then its connection closes without the last
        chunk, as when the server's idle timeout ends it; the session ends with it. Its
        record has ``fault="drop-stream"``. Requests answered without a stream do not use
        it up.
        """
        self._state.faults.cut_streams(n_events, streams)

    def faults(
        self,
        *,
        fail_rate: float = 0.0,
        drop_rate: float = 0.0,
        max_consecutive: int = 2,
        seed: int | str = 0,
        method: str | None = None,
        status: int = 503,
        drop_when: DropWhen = "before",
    ) -> None:
        """Fail (``status``) or drop requests at random; both rates 0 turns it off.

        Attempts at the same request (same method, raw path and raw query) are counted: the
        outcome of attempt k of a request depends only on ``seed``, the request and k, so a
        run is reproducible even with concurrent requests, and no request fails more than
        ``max_consecutive`` times in a row. One-shot faults take precedence.
        """
        self._state.faults.set_random(
            fail_rate=fail_rate,
            drop_rate=drop_rate,
            max_consecutive=max_consecutive,
            seed=seed,
            method=method,
            status=status,
            drop_when=drop_when,
        )

    def clear_faults(self) -> None:
        """Remove every pending fault, the random mode and the delay."""
        self._state.faults.clear()
