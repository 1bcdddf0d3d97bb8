"""Basic auth (6.5 and 3.7), Host matching and the cowboy_rest status codes."""

from __future__ import annotations

import base64

import pytest
from fake_wire import ALICE, Wire

from aiomongoose.testing import FakeMongooseIM

REALM = 'Basic realm="mongooseim"'


def basic(user: str, password: str) -> dict[str, str]:
    # aiohttp 3.14 deprecates BasicAuth: build the header by hand.
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


GOOD = basic("admin", "secret")
BAD = basic("admin", "wrong")


async def _status(w: Wire, **kwargs) -> tuple[int, str | None, bytes]:
    answer = await w.get(f"/messages/{ALICE}", **kwargs)
    return answer.status, answer.headers.get("WWW-Authenticate"), answer.body


@pytest.mark.parametrize("version", ["6.5", "3.7"])
async def test_configured_credentials_are_checked(wire: Wire, version):
    async with FakeMongooseIM(auth=("admin", "secret"), version=version) as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert await _status(w) == (401, REALM, b"")
        assert await _status(w, headers=BAD) == (401, REALM, b"")
        assert await _status(w, headers=basic("other", "secret")) == (401, REALM, b"")
        assert await _status(w, headers={"Authorization": "Bearer secret"}) == (401, REALM, b"")
        # Cowboy cannot parse it: the handler crashes with a request_error, an empty 400.
        assert await _status(w, headers={"Authorization": "Basic !!!"}) == (400, None, b"")
        assert (await _status(w, headers=GOOD))[:2] == (200, None)
        posted = await w.post(json={"caller": ALICE, "to": ALICE, "body": "x"})
        assert posted.status == 401
        posted = await w.post(json={"caller": ALICE, "to": ALICE, "body": "x"}, headers=GOOD)
        assert posted.status == 204


async def test_password_may_contain_a_colon(wire: Wire):
    async with FakeMongooseIM(auth=("admin", "s:e:c")) as fake:
        fake.add_user(ALICE)
        assert (await _status(wire.to(fake), headers=basic("admin", "s:e:c")))[0] == 200


async def test_6_5_without_configured_credentials_rejects_credentials(server, wire: Wire):
    assert (await _status(wire))[0] == 200
    assert await _status(wire, headers=GOOD) == (401, REALM, b"")
    assert (await _status(wire, headers={"Authorization": "Bearer x"}))[0] == 200


async def test_3_7_without_configured_credentials_accepts_anything(wire: Wire):
    async with FakeMongooseIM(version="3.7") as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert (await _status(w))[0] == 200
        assert (await _status(w, headers=GOOD))[0] == 200


async def test_auth_is_checked_before_the_handler(wire: Wire):
    async with FakeMongooseIM(auth=("admin", "secret")) as fake:
        w = wire.to(fake)
        assert (await w.get("/messages/@bad")).status == 401
        assert (await w.get("/messages")).status == 401
        assert (await w.get("/users/wonderland.lit")).status == 401
        assert (await w.get("/nothing")).status == 404  # no route: before auth


async def test_host_matching_answers_an_empty_400(wire: Wire):
    async with FakeMongooseIM(host="localhost") as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        for host in (None, "example.org", "127.0.0.1", "localhost.example"):
            headers = {} if host is None else {"Host": host}
            answer = await w.get(f"/messages/{ALICE}", headers=headers)
            assert (answer.status, answer.body) == (400, b""), host
            assert "Content-Type" not in answer.headers
        assert (await w.get("/nothing", headers={"Host": "x"})).status == 400
        for host in ("localhost", "localhost:8088", "LocalHost"):
            answer = await w.get(f"/messages/{ALICE}", headers={"Host": host})
            assert answer.status == 200, host


async def test_host_is_matched_before_auth(wire: Wire):
    async with FakeMongooseIM(host="localhost", auth=("admin", "secret")) as fake:
        fake.add_user(ALICE)
        w = wire.to(fake)
        assert (await w.get(f"/messages/{ALICE}")).status == 400
        assert (await w.get(f"/messages/{ALICE}", headers={"Host": "localhost"})).status == 401
        ok = await w.get(f"/messages/{ALICE}", headers={"Host": "localhost", **GOOD})
        assert ok.status == 200


async def test_other_methods_get_405_with_allow(server, wire: Wire):
    for method, path in (
        ("DELETE", f"/messages/{ALICE}"),
        ("PUT", "/messages"),
        ("HEAD", "/messages"),
    ):
        answer = await wire.request(method, path)
        assert answer.status == 405
        assert answer.headers["Allow"] == "OPTIONS, GET, POST"
    answer = await wire.request("POST", "/users/wonderland.lit")
    assert (answer.status, answer.headers["Allow"]) == (405, "OPTIONS, GET")


async def test_options_and_accept(server, wire: Wire):
    answer = await wire.request("OPTIONS", "/messages")
    assert (answer.status, answer.headers["Allow"]) == (200, "OPTIONS, GET, POST")
    answer = await wire.get(f"/messages/{ALICE}", headers={"Accept": "text/html"})
    assert (answer.status, answer.body) == (406, b"")
    answer = await wire.get(f"/messages/{ALICE}", headers={"Accept": "application/json;q=0"})
    assert answer.status == 406
    for accept in ("application/json", "application/*", "text/html, */*;q=0.1"):
        assert (await wire.get(f"/messages/{ALICE}", headers={"Accept": accept})).status == 200


async def test_malformed_percent_escape_is_an_empty_400(server, wire: Wire):
    answer = await wire.get("/messages/alice%zz@wonderland.lit")
    assert (answer.status, answer.body) == (400, b"")
