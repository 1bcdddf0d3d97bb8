"""Failures users can catch by kind, over real sockets: a timeout, a failed connection, a
closed client (issue: errors users can catch by kind)."""

from __future__ import annotations

import socket

import pytest

from aiomongoose import (
    AdminClient,
    ClientClosedError,
    ConnectionFailedError,
    Message,
    RequestTimeoutError,
    TransportError,
)
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_timeout_is_a_request_timeout_error(api):
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.delay(2)
        url = server.url
        async with AdminClient(url, api=api, retry=None) as client:
            with pytest.raises(RequestTimeoutError) as info:
                await client.messages.recent(ALICE, timeout=0.2)
    assert isinstance(info.value, TransportError)
    assert "timed out" in str(info.value)


async def test_a_refused_connection_is_a_connection_failed_error():
    url = f"http://127.0.0.1:{closed_port()}/api"
    async with AdminClient(url, retry=None) as client:
        with pytest.raises(ConnectionFailedError) as info:
            await client.messages.send(Message(ALICE, "rabbit@wonderland.lit", "hi"))
    assert isinstance(info.value, TransportError)
    assert "ClientConnectorError" in str(info.value)


@pytest.mark.parametrize("when", ["before", "during"])
async def test_a_dropped_connection_is_a_connection_failed_error(when):
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.add_message("rabbit@wonderland.lit", ALICE, at_us=1_700_000_000_000_000)
        server.drop_next(5, when=when)
        async with AdminClient(server.url, retry=None) as client:
            with pytest.raises(ConnectionFailedError):
                await client.messages.recent(ALICE)


async def test_a_closed_client_refuses_async_with_and_calls():
    async with FakeMongooseIM() as server:
        client = AdminClient(server.url)
        await client.close()
        with pytest.raises(ClientClosedError, match="closed"):
            async with client:
                pass
        with pytest.raises(ClientClosedError):
            await client.users.list("wonderland.lit")
        with pytest.raises(ClientClosedError):
            [m async for m in client.messages.history(ALICE)]
        assert not server.requests
