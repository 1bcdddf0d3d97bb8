"""A session the caller brings: its own credentials (auth=, an Authorization header, a
~/.netrc read through trust_env), against the fake server over real HTTP."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest

from aiomongoose import AdminClient, InvalidArgumentError
from aiomongoose.testing import FakeMongooseIM

ALICE = "alice@wonderland.lit"
OURS = ("admin", "s3cr\u00e9t")  # the client's credentials (UTF-8, as RFC 7617 says)
THEIRS = ("other", "theirs")  # the session's own


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
async def server():
    async with FakeMongooseIM(auth=OURS) as srv:
        srv.add_user(ALICE)
        yield srv


async def recent_through(session: aiohttp.ClientSession, url: str, auth):
    async with AdminClient(url, auth=auth, session=session, retry=None) as client:
        return await asyncio.wait_for(client.messages.recent(ALICE), 10)


# aiohttp 3.14 deprecates BasicAuth and auth=; sessions that use them still exist.
legacy_auth = pytest.mark.filterwarnings(
    "ignore:.*(BasicAuth|'auth' parameter).*:DeprecationWarning"
)


@legacy_auth
async def test_a_session_with_its_own_auth_conflicts_with_the_clients_up_front(server):
    # aiohttp cannot send a session's auth= together with the client's Authorization header
    # (every call would raise its ValueError): the conflict is refused when the client is made.
    async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(*THEIRS)) as session:
        with pytest.raises(InvalidArgumentError, match="credentials of its own") as info:
            AdminClient(server.url, auth=OURS, session=session)
        assert OURS[1] not in str(info.value) and THEIRS[1] not in str(info.value)
    assert server.requests == []


def write_netrc(tmp_path, monkeypatch, host: str) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {host} login {THEIRS[0]} password {THEIRS[1]}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))


async def test_a_matching_netrc_conflicts_with_the_clients_credentials_up_front(
    server, tmp_path, monkeypatch
):
    host = server.url.split("//")[1].split(":")[0]
    write_netrc(tmp_path, monkeypatch, host)
    async with aiohttp.ClientSession(trust_env=True) as session:
        with pytest.raises(InvalidArgumentError, match="netrc") as info:
            AdminClient(server.url, auth=OURS, session=session)
        assert THEIRS[1] not in str(info.value)
        # A session that does not trust the environment never reads it.
    async with aiohttp.ClientSession() as session:
        assert await recent_through(session, server.url, OURS) == []
    assert [r.headers["authorization"] for r in server.requests] == [basic(*OURS)]


async def test_a_netrc_written_after_the_client_was_made_is_a_clear_error(
    server, tmp_path, monkeypatch
):
    monkeypatch.setenv("NETRC", str(tmp_path / "none-yet"))
    async with aiohttp.ClientSession(trust_env=True) as session:
        async with AdminClient(server.url, auth=OURS, session=session, retry=None) as client:
            host = server.url.split("//")[1].split(":")[0]
            write_netrc(tmp_path, monkeypatch, host)
            with pytest.raises(InvalidArgumentError, match="refused to send"):
                await asyncio.wait_for(client.messages.recent(ALICE), 10)
    assert server.requests == []


async def test_a_netrc_for_another_host_is_no_conflict(server, tmp_path, monkeypatch):
    write_netrc(tmp_path, monkeypatch, "elsewhere.example")
    async with aiohttp.ClientSession(trust_env=True) as session:
        assert await recent_through(session, server.url, OURS) == []
    assert [r.headers["authorization"] for r in server.requests] == [basic(*OURS)]


@legacy_auth
async def test_without_credentials_of_its_own_the_client_sends_the_sessions():
    async with FakeMongooseIM(auth=THEIRS) as server:
        server.add_user(ALICE)
        async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(*THEIRS)) as session:
            assert await recent_through(session, server.url, None) == []
    assert [r.headers["authorization"] for r in server.requests] == [basic(*THEIRS)]


async def test_the_clients_credentials_win_over_a_default_authorization_header(server):
    headers = {"Authorization": basic(*THEIRS)}
    async with aiohttp.ClientSession(headers=headers) as session:
        assert await recent_through(session, server.url, OURS) == []
    assert [r.headers["authorization"] for r in server.requests] == [basic(*OURS)]


@legacy_auth
async def test_a_session_that_cannot_send_anything_is_refused_up_front():
    # aiohttp refuses every request of a session with both auth= and an Authorization header
    headers = {"Authorization": basic(*THEIRS)}
    async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(*THEIRS), headers=headers) as session:
        with pytest.raises(InvalidArgumentError, match="Authorization"):
            AdminClient("http://localhost:8088/api", auth=OURS, session=session)
