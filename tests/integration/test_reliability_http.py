"""What the fake server cannot show: Retry-After, redirects, TLS, and the bound on requests in
flight. Tiny ``aiohttp.web`` apps on 127.0.0.1 stand in for the server or a proxy."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
import time

import aiohttp
import pytest
from aiohttp import web
from tiny_server import tiny_app

from aiomongoose import (
    AdminClient,
    ApiError,
    ClientClosedError,
    Message,
    RetryPolicy,
    ServerError,
    TransportError,
)
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"


async def test_retry_after_is_honoured_and_capped():
    arrivals: list[float] = []

    async def handler(request):
        arrivals.append(time.monotonic())
        if len(arrivals) == 1:
            return web.Response(status=503, headers={"Retry-After": "5"})
        return web.Response(body=b"[]", content_type="application/json")

    policy = RetryPolicy(backoff=0.001, max_delay=0.3)
    async with tiny_app(handler) as url, AdminClient(url, retry=policy) as client:
        assert await client.messages.recent(ALICE) == []
        assert client.retries == 1
    gap = arrivals[1] - arrivals[0]
    assert 0.29 <= gap < 2.0  # waited for Retry-After, cut to max_delay (not 5 s, not 1 ms)


async def test_retry_after_on_a_send_does_not_make_it_retried():
    hits: list[str] = []

    async def handler(request):
        hits.append(request.method)
        return web.Response(status=503, headers={"Retry-After": "0"})

    async with tiny_app(handler) as url, AdminClient(url) as client:
        with pytest.raises(ServerError):
            await client.messages.send(Message(ALICE, "bob@wonderland.lit", "x"))
    assert hits == ["POST"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_are_never_followed(status):
    seen: list[tuple[str, str | None]] = []

    async def handler(request):
        seen.append((request.path, request.headers.get("Authorization")))
        if request.path.startswith("/api/"):
            return web.Response(status=status, headers={"Location": "/stolen"})
        return web.Response(body=b"[]", content_type="application/json")

    async with tiny_app(handler) as url:
        async with AdminClient(url, auth=("admin", "pw")) as client:
            with pytest.raises(ApiError) as info:
                await client.messages.recent(ALICE)
            assert client.retries == 0
    exc = info.value
    assert type(exc) is ApiError
    assert exc.status == status
    assert exc.location == "/stolen"
    assert "redirect to '/stolen' not followed" in str(exc)
    assert [path for path, _ in seen] == ["/api/messages/alice@wonderland.lit"]


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """A certificate for 127.0.0.1 that no CA signed: (cert path, key path)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


async def test_tls_is_verified_by_default_and_ssl_passes_a_custom_ca(self_signed):
    cert, key = self_signed
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    hits: list[str] = []

    async def handler(request):
        hits.append(request.path)
        return web.Response(body=b"[]", content_type="application/json")

    async with tiny_app(handler, ssl_context=server_context) as url:
        async with AdminClient(url) as client:
            with pytest.raises(TransportError) as info:
                await client.messages.recent(ALICE)
            assert client.retries == 0  # a certificate error is not retried
        assert isinstance(info.value.__cause__, aiohttp.ClientConnectorCertificateError)
        assert hits == []
        trusted = ssl.create_default_context(cafile=str(cert))
        async with AdminClient(url, ssl=trusted) as client:
            assert await client.messages.recent(ALICE) == []
        assert hits == ["/api/messages/alice@wonderland.lit"]


async def sample_in_flight(server: FakeMongooseIM, stop: asyncio.Event) -> int:
    """The most requests the server was handling at once, sampled every 2 ms."""
    most = 0
    while not stop.is_set():
        most = max(most, sum(r.status is None for r in server.requests))
        await asyncio.sleep(0.002)
    return most


@pytest.mark.parametrize("own_session", [True, False])
async def test_requests_in_flight_never_exceed_max_connections(own_session):
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.delay(0.05)
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_in_flight(server, stop))
        async with contextlib.AsyncExitStack() as stack:
            session = None
            if not own_session:  # a caller's session with room for 100 sockets
                session = await stack.enter_async_context(aiohttp.ClientSession())
            client = await stack.enter_async_context(
                AdminClient(server.url, max_connections=3, session=session)
            )
            started = time.monotonic()
            pages = await asyncio.wait_for(
                asyncio.gather(*(client.messages.recent(ALICE) for _ in range(20))), 10
            )
            elapsed = time.monotonic() - started
        stop.set()
        most = await asyncio.wait_for(sampler, 5)
    assert pages == [[]] * 20
    assert len(server.requests) == 20
    assert most == 3  # the bound was reached, and never passed
    assert elapsed >= 0.3  # 20 requests of 0.05 s, 3 at a time: at least 7 rounds


async def test_sockets_opened_never_exceed_max_connections():
    ports: set[int] = set()
    active = 0
    most = 0

    async def handler(request):
        nonlocal active, most
        ports.add(request.transport.get_extra_info("peername")[1])
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.02)
        active -= 1
        return web.Response(body=b"[]", content_type="application/json")

    async with tiny_app(handler) as url, AdminClient(url, max_connections=4) as client:
        await asyncio.wait_for(
            asyncio.gather(*(client.messages.recent(ALICE) for _ in range(40))), 10
        )
    assert most == 4
    assert len(ports) <= 4


async def test_waiting_for_a_slot_does_not_count_against_the_timeout():
    async with FakeMongooseIM() as server:
        server.add_user(ALICE)
        server.delay(0.1)
        async with AdminClient(server.url, max_connections=1, retry=None, timeout=0.5) as client:
            # 6 requests of 0.1 s through one slot: the last waits 0.5 s before it starts
            pages = await asyncio.wait_for(
                asyncio.gather(*(client.messages.recent(ALICE) for _ in range(6))), 10
            )
    assert pages == [[]] * 6


async def test_cancelling_during_the_backoff_stops_at_once():
    hits: list[str] = []

    async def handler(request):
        hits.append(request.path)
        return web.Response(status=503, headers={"Retry-After": "30"})

    policy = RetryPolicy(max_delay=30)
    async with tiny_app(handler) as url, AdminClient(url, retry=policy) as client:
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.messages.recent(ALICE), 0.2)
        assert time.monotonic() - started < 2
        assert client.retries == 1  # it was sleeping before its second try
    assert len(hits) == 1


async def test_closing_the_client_during_the_backoff_ends_the_call():
    async def handler(request):
        return web.Response(status=503, headers={"Retry-After": "1"})

    async with tiny_app(handler) as url:
        client = AdminClient(url, retry=RetryPolicy(max_delay=0.3))
        call = asyncio.create_task(client.messages.recent(ALICE))
        await asyncio.sleep(0.1)
        await client.close()
        with pytest.raises(ClientClosedError):
            await asyncio.wait_for(call, 5)
