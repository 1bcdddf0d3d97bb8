"""The aiohttp side of the fake server: request log, faults, delays, and the wire answer.

Routing is done on the raw path (not by aiohttp's router) so that an escaped ``/`` stays
inside its segment, exactly as the server note requires: ``/api/graphql`` goes to
:class:`~._graphql.GraphqlApi` and ``/api/graphql/sse`` to :class:`~._sse.SseEndpoint` when
the version speaks GraphQL, every other path to :class:`~._api.RestApi` when it speaks
REST, and otherwise gets an empty 404 (400 on a Host mismatch). As on REST, one trailing
``/`` is ignored. Faults, delays and the request log apply to every request alike; a
``drop-during`` fault on a subscription that opens breaks its stream off before the first
event, and ``drop_stream_after`` faults apply to streams only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import hdrs, web

from ._api import Reply, RestApi, split_path
from ._faults import Decision
from ._graphql import GraphqlApi
from ._json import loads
from ._records import RecordedRequest
from ._sse import SseEndpoint
from ._state import AppState

__all__ = ["Handler"]

_CANNED_PARTIAL = b'[{"sender": "alice@wonderland.lit", "timestamp": 1700000000, "message_id": ""}]'


class _NoContentTypeResponse(web.Response):
    """A response without a Content-Type header, like MongooseIM 6.x error answers.

    aiohttp adds ``application/octet-stream`` to any non-empty body while preparing the
    headers, so the header is removed after that step.
    """

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        self._headers.popall(hdrs.CONTENT_TYPE, None)


def _decode_json(body: bytes) -> Any:
    """The body as ``json.loads`` reads it, at any depth and with integers of any length."""
    if not body:
        return None
    try:
        return loads(body, strict=False)
    except ValueError:
        return None


def _response(reply: Reply) -> web.Response:
    if reply.content_type is None:
        return _NoContentTypeResponse(status=reply.status, body=reply.body, headers=reply.headers)
    headers = (*reply.headers, (hdrs.CONTENT_TYPE, reply.content_type))
    return web.Response(status=reply.status, body=reply.body, headers=headers)


class Handler:
    """The aiohttp request handler of one :class:`FakeMongooseIM`."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.api = RestApi(state)
        self.graphql = GraphqlApi(state)
        self.sse = SseEndpoint(state, self.graphql)

    def _answer(self, request: web.BaseRequest, raw_path: str, body: bytes) -> Reply:
        profile = self.state.profile
        if profile.graphql and split_path(raw_path) == ["api", "graphql"]:
            return self.graphql.handle(
                request.method, list(request.query.items()), request.headers, body
            )
        if profile.rest:
            return self.api.handle(
                request.method, raw_path, list(request.query.items()), request.headers, body
            )
        return self.graphql.no_route(request.headers)

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        raw_path = request.rel_url.raw_path
        record = RecordedRequest(
            method=request.method,
            path=raw_path,
            segments=tuple(split_path(raw_path) or ()),
            query={key: value for key, value in request.query.items()},
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
        )
        self.state.log_request(record)  # first, so that every request is in the log
        record.json = _decode_json(body)
        await self._delay()
        decision = self.state.faults.decide(
            request.method, raw_path, request.rel_url.raw_query_string
        )
        if decision is not None:
            record.fault = decision.kind
        if decision is None or decision.kind == "drop-during":
            if self.state.profile.graphql and split_path(raw_path) == ["api", "graphql", "sse"]:
                opened = self.sse.open(request.method, list(request.query.items()), request.headers)
                if not isinstance(opened, Reply):
                    cut_after = 0 if decision is not None else self.state.faults.next_stream_cut()
                    if decision is None and cut_after is not None:
                        record.fault = "drop-stream"
                    return await self.sse.stream(request, record, *opened, cut_after)
                reply = opened
            else:
                reply = self._answer(request, raw_path, body)
            if decision is not None:
                record.status = 200
                return await self._drop_during(request, reply)
        elif decision.kind == "drop-before":
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # never written: aiohttp ignores the closed connection
        else:
            reply = self._fault_reply(decision)
        record.status = reply.status
        return _response(reply)

    async def _delay(self) -> None:
        seconds = self.state.faults.delay_s
        closing = self.state.closing
        if seconds <= 0 or closing is None:
            return
        try:
            # Cut short when the server closes, so close() never waits for a delay.
            await asyncio.wait_for(closing.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    def _fault_reply(self, decision: Decision) -> Reply:
        if decision.kind == "malformed":
            body = decision.body if isinstance(decision.body, bytes) else decision.body.encode()
            return Reply(200, body, "application/json")
        if isinstance(decision.body, str):
            return self.api.error_reply(decision.status, decision.body)
        return Reply(decision.status, decision.body)

    async def _drop_during(self, request: web.BaseRequest, reply: Reply) -> web.StreamResponse:
        # The request was handled (a send is archived), then the answer breaks off.
        body = reply.body if reply.status == 200 and len(reply.body) >= 2 else _CANNED_PARTIAL
        response = web.StreamResponse(status=200)
        response.content_type = "application/json"
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.close()
        return response
