"""Fault injection and the request log."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from fake_wire import ALICE, BOB, T0, US, Wire

from aiomongoose.testing import FakeMongooseIM, RecordedRequest


async def test_fail_next(server, wire: Wire):
    server.fail_next(2)
    for _ in range(2):
        answer = await wire.send(ALICE, BOB)
        assert (answer.status, answer.body) == (503, b"")
    assert server.archive_of(ALICE) == []  # failed requests are not handled
    assert (await wire.send(ALICE, BOB)).status == 204
    assert [r.fault for r in server.requests] == ["fail", "fail", None]
    assert [r.status for r in server.requests] == [503, 503, 204]


async def test_fail_next_bodies(server, wire: Wire):
    server.fail_next(status=500, body="boom")
    server.fail_next(status=502, body=b"<html>Bad Gateway</html>")
    answer = await wire.get(f"/messages/{ALICE}")
    assert (answer.status, answer.body) == (500, b'"boom"')
    assert "Content-Type" not in answer.headers
    answer = await wire.get(f"/messages/{ALICE}")
    assert (answer.status, answer.body) == (502, b"<html>Bad Gateway</html>")
    assert (await wire.get(f"/messages/{ALICE}")).status == 200


async def test_faults_for_one_method_only(server, wire: Wire):
    server.fail_next(1, method="POST")
    server.malformed_next(1, method="get")
    assert (await wire.get(f"/messages/{ALICE}")).body != b"[]"  # the malformed answer
    assert (await wire.get(f"/messages/{ALICE}")).status == 200
    assert (await wire.send(ALICE, BOB)).status == 503
    assert (await wire.send(ALICE, BOB)).status == 204


async def test_delay(server, wire: Wire):
    server.delay(0.3)
    started = time.monotonic()
    assert (await wire.get(f"/messages/{ALICE}")).status == 200
    assert time.monotonic() - started >= 0.3
    server.delay(0)
    started = time.monotonic()
    await wire.get(f"/messages/{ALICE}")
    assert time.monotonic() - started < 0.3
    with pytest.raises(ValueError):
        server.delay(-1)


async def test_delay_makes_a_client_time_out_and_close_stays_fast(wire: Wire):
    fake = FakeMongooseIM()
    await fake.start()
    fake.add_user(ALICE)
    fake.delay(30)
    with pytest.raises(asyncio.TimeoutError):
        await wire.to(fake).get(f"/messages/{ALICE}", timeout=aiohttp.ClientTimeout(total=0.2))
    started = time.monotonic()
    await fake.close()
    await fake.close()  # idempotent
    assert time.monotonic() - started < 2


async def test_request_log_shows_a_request_in_flight(server, wire: Wire):
    server.delay(0.3)
    task = asyncio.create_task(wire.get(f"/messages/{ALICE}?limit=1"))
    for _ in range(100):
        if server.requests:
            break
        await asyncio.sleep(0.01)
    assert server.requests[0].status is None
    assert (await task).status == 200
    assert server.requests[0].status == 200


async def test_drop_before(server, wire: Wire):
    # aiohttp's client retries an idempotent request once after a disconnect: drop twice.
    server.drop_next(2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await wire.get(f"/messages/{ALICE}")
    server.drop_next(1, when="before", method="POST")
    with pytest.raises(aiohttp.ClientConnectionError):
        await wire.send(ALICE, BOB)
    assert server.archive_of(ALICE) == []  # not handled
    assert (await wire.get(f"/messages/{ALICE}")).status == 200
    assert [(r.fault, r.status) for r in server.requests] == [
        ("drop-before", None),
        ("drop-before", None),
        ("drop-before", None),
        (None, 200),
    ]


async def test_drop_during(server, wire: Wire):
    for i in range(10):
        server.add_message(ALICE, BOB, at_us=(T0 + i) * US)
    server.drop_next(2, when="during")
    with pytest.raises(aiohttp.ClientPayloadError):
        await wire.get(f"/messages/{ALICE}")
    with pytest.raises(aiohttp.ClientPayloadError):
        await wire.send(BOB, ALICE, "sent, but the answer broke")
    assert server.archive_of(ALICE)[-1].body == "sent, but the answer broke"  # handled
    assert [(r.fault, r.status) for r in server.requests] == [("drop-during", 200)] * 2
    assert (await wire.get(f"/messages/{ALICE}")).status == 200


async def test_aiohttp_retries_a_dropped_get_once(server, wire: Wire):
    server.drop_next(1)
    assert (await wire.get("/users/wonderland.lit")).status == 200
    assert [r.fault for r in server.requests] == ["drop-before", None]


async def test_drop_next_checks_when(server):
    with pytest.raises(ValueError):
        server.drop_next(1, when="after")


async def test_malformed_next(server, wire: Wire):
    server.malformed_next()
    answer = await wire.get(f"/messages/{ALICE}")
    assert (answer.status, answer.headers["Content-Type"]) == (200, "application/json")
    with pytest.raises(ValueError):
        answer.json()
    server.malformed_next(1, body=b'{"not": "a list"}')
    assert (await wire.get(f"/messages/{ALICE}")).json() == {"not": "a list"}
    server.malformed_next(1, method="POST")
    answer = await wire.send(ALICE, BOB)
    assert answer.status == 200
    assert server.archive_of(ALICE) == []
    assert [r.fault for r in server.requests] == ["malformed"] * 3


async def test_clear_faults(server, wire: Wire):
    server.fail_next(5)
    server.delay(10)
    server.faults(fail_rate=1.0)
    server.clear_faults()
    assert (await wire.get(f"/messages/{ALICE}")).status == 200


async def _retrying_run(seed: int) -> tuple[list[list[int | str]], int]:
    """Fetch 30 pages, retrying each until it succeeds; return every attempt's outcome."""
    outcomes: list[list[int | str]] = []
    async with FakeMongooseIM() as fake:
        fake.add_user(ALICE)
        # Drops mid-answer: aiohttp would silently retry a GET dropped before the answer.
        fake.faults(fail_rate=0.3, drop_rate=0.1, max_consecutive=2, seed=seed, drop_when="during")
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            for page in range(30):
                attempts: list[int | str] = []
                while not attempts or attempts[-1] != 200:
                    url = f"{fake.url}/messages/{ALICE}?before={T0 + page}&limit=5"
                    try:
                        async with session.get(url) as resp:
                            await resp.read()
                            attempts.append(resp.status)
                    except aiohttp.ClientPayloadError:
                        attempts.append("dropped")
                outcomes.append(attempts)
        return outcomes, len(fake.requests)


async def test_random_faults_are_bounded_and_reproducible():
    outcomes, requests = await _retrying_run(seed=7)
    assert all(len(attempts) <= 3 for attempts in outcomes)  # max_consecutive=2
    flat = [o for attempts in outcomes for o in attempts]
    assert 503 in flat and "dropped" in flat
    assert requests == len(flat)
    assert (await _retrying_run(seed=7))[0] == outcomes
    assert (await _retrying_run(seed=8))[0] != outcomes


async def test_random_faults_for_one_method(server, wire: Wire):
    server.faults(fail_rate=1.0, method="POST", max_consecutive=1000)
    for _ in range(5):
        assert (await wire.get(f"/messages/{ALICE}")).status == 200
    assert (await wire.send(ALICE, BOB)).status == 503
    with pytest.raises(ValueError):
        server.faults(fail_rate=0.8, drop_rate=0.5)


async def test_request_log(server, wire: Wire):
    server.requests.clear()
    await wire.get(f"/messages/{ALICE}%2Fphone/{BOB}?limit=5&before=17&with=x%40y")
    await wire.send(ALICE, BOB, "ü")
    await wire.post(data=b"\x00raw", headers={"Content-Type": "application/octet-stream"})
    get, post, raw = server.requests
    assert isinstance(get, RecordedRequest)
    assert (get.method, get.path, get.status, get.fault) == (
        "GET",
        f"/api/messages/{ALICE}%2Fphone/{BOB}",
        200,
        None,
    )
    assert get.segments == ("api", "messages", f"{ALICE}/phone", BOB)
    assert get.query == {"limit": "5", "before": "17", "with": "x@y"}
    assert get.headers["host"].startswith("127.0.0.1:")
    assert (get.body, get.json) == (b"", None)
    assert (post.method, post.path, post.status) == ("POST", "/api/messages", 204)
    assert post.json == {"caller": ALICE, "to": BOB, "body": "ü"}
    assert post.headers["content-type"] == "application/json"
    assert (raw.body, raw.json, raw.status) == (b"\x00raw", None, 415)
