"""The password shows up nowhere but in the Authorization header: a failing run (wrong
credentials, 503s, timeouts, refused connections, an answer that is not HTTP, a cut send, a
malformed page) is searched through its logs, reprs, exceptions and the server's request log."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import traceback
from urllib.parse import quote

import attrs
import pytest
from aiohttp import web
from tiny_server import tiny_app

from aiomongoose import AdminClient, Message, MongooseIMError, RetryPolicy
from aiomongoose.testing import FakeMongooseIM

USER = "admin"
PASSWORD = "s3cr3t-P\u00e4ss:word!"
TOKEN = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
FORMS = (PASSWORD, TOKEN, quote(PASSWORD, safe=""), PASSWORD.encode("utf-8").hex())
ALICE = "alice@wonderland.lit"
RABBIT = "rabbit@wonderland.lit"
FAST = RetryPolicy(backoff=0.001)


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def exception_texts(exc: BaseException) -> list[str]:
    """str, repr, args and traceback of the exception and of everything chained to it."""
    texts, seen, todo = [], set(), [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        texts += [str(item), repr(item), repr(item.args), *map(repr, vars(item).values())]
        todo += [item.__cause__, item.__context__]
    texts.append("".join(traceback.format_exception(exc)))
    return texts


@contextlib.asynccontextmanager
async def not_http():
    """A server that answers every request with bytes that are not HTTP."""

    async def answer(reader, writer):
        with contextlib.suppress(ConnectionError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 WHAT garbage\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        server.close()
        await server.wait_closed()


async def failing_run(caplog) -> tuple[list[BaseException], list[str], FakeMongooseIM]:
    errors: list[BaseException] = []
    reprs: list[str] = []

    async def expect_failure(call):
        try:
            await asyncio.wait_for(call, 10)
        except MongooseIMError as exc:
            errors.append(exc)
        else:
            raise AssertionError("the call should have failed")

    with caplog.at_level(logging.DEBUG):
        async with FakeMongooseIM(auth=(USER, "the-right-one")) as wrong:
            wrong.add_user(ALICE)
            async with AdminClient(wrong.url, auth=(USER, PASSWORD), retry=FAST) as client:
                await expect_failure(client.messages.recent(ALICE))
                reprs += [repr(client), str(client), repr(client.retry)]
        async with FakeMongooseIM(auth=(USER, PASSWORD)) as server:
            server.add_user(ALICE)
            server.add_user(RABBIT)
            url = server.url.replace("://", f"://{USER}:{quote(PASSWORD, safe='')}@")
            async with AdminClient(url, retry=FAST) as client:
                server.fail_next(3, status=503)
                await expect_failure(client.messages.recent(ALICE))
                server.delay(0.3)
                await expect_failure(client.messages.recent(ALICE, timeout=0.02))
                await expect_failure(client.users.list("wonderland.lit", timeout=0.02))
                server.delay(0)
                server.drop_next(1, when="during", method="POST")
                await expect_failure(client.messages.send(Message(ALICE, RABBIT, "x")))
                server.malformed_next(1)
                await expect_failure(client.messages.recent(ALICE))
                reprs += [repr(client), str(client), repr(vars(client))]
        async with FakeMongooseIM() as gone:
            closed_url = gone.url
        async with AdminClient(closed_url, auth=(USER, PASSWORD), retry=FAST) as client:
            await expect_failure(client.messages.send(Message(ALICE, RABBIT, "x")))
        async with not_http() as url:
            async with AdminClient(url, auth=(USER, PASSWORD), retry=FAST) as client:
                await expect_failure(client.messages.recent(ALICE))
        await asyncio.sleep(0.35)  # let the delayed handlers finish and log
    return errors, reprs, server


async def test_the_password_appears_only_in_the_authorization_header(caplog):
    errors, reprs, server = await failing_run(caplog)
    assert len(errors) == 8
    names = [type(e).__name__ for e in errors]
    assert names == [
        "UnauthorizedError",
        "ServerError",
        "RequestTimeoutError",
        "RequestTimeoutError",
        "ConnectionFailedError",  # dropped during the answer
        "ProtocolError",
        "ConnectionFailedError",  # refused
        "TransportError",  # an answer that is not HTTP
    ]
    for exc in errors:
        for text in exception_texts(exc):
            assert leaks(text) == [], (type(exc).__name__, text[:300])
    for text in reprs:
        assert leaks(text) == [], text
    logged = [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    assert any("retrying in" in line for line in logged)  # the logs did record the failures
    for line in logged:
        assert leaks(line) == [], line
    # The server saw the credentials, in the Authorization header and nowhere else.
    assert len(server.requests) >= 7
    for record in server.requests:
        assert record.headers["authorization"] == f"Basic {TOKEN}"
        rest = attrs.evolve(
            record, headers={k: v for k, v in record.headers.items() if k != "authorization"}
        )
        assert leaks(repr(rest)) == [], rest


@pytest.mark.parametrize("password", [PASSWORD, "p", "p@ss/w%rd"])
def test_client_repr_never_shows_the_password(password):
    for client in (
        AdminClient("http://h/api", auth=(USER, password)),
        AdminClient(f"http://{USER}:{quote(password, safe='')}@h/api"),
    ):
        assert repr(client) == "AdminClient('http://h/api', auth=('admin', '***'))"
        assert client.base_url == "http://h/api"


QUOTED = quote(PASSWORD, safe="")


@pytest.mark.parametrize(
    "url",
    [
        f"http://{USER}:{QUOTED}@localhost:99999/api",  # port out of range
        f"http://{USER}:{QUOTED}@localhost:0/api",
        f"http://{USER}:{QUOTED}@localhost:port/api",
        f"ftp://{USER}:{QUOTED}@localhost/api",
        f"http://{USER}:{QUOTED}@/api",  # no host
        f"{USER}:{QUOTED}@localhost:8088/api",  # no scheme
        f"http://{USER}:{PASSWORD}@localhost:99999/api",  # not even quoted: ':' and '!' in it
        f"http://{USER}:pa/ss{QUOTED}@localhost/api",  # a '/' that makes the host 'admin'
        f"http://{USER}:{QUOTED}@localhost/api?x=1",
        f"http://{USER}:{QUOTED}@[::1/api",
    ],
)
def test_a_bad_base_url_never_shows_its_password(url):
    with pytest.raises(MongooseIMError) as info:
        AdminClient(url)
    texts = exception_texts(info.value)
    for text in texts:
        assert leaks(text) == [], text
    assert "***@" in str(info.value) or "query string" in str(info.value)


def echoing(where: str):
    """A server that answers every request with the credentials it was sent, somewhere."""

    async def handler(request):
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Basic ")
        password = base64.b64decode(token).decode().partition(":")[2] if token else ""
        graphql = request.path.endswith("/graphql")
        if where == "header in a JSON string":
            return web.json_response(f"Invalid header: {header}", status=400)
        if where == "token as text":
            return web.Response(status=401, text=f"token {token} refused")
        if where == "password JSON-escaped":  # ä travels as \u00e4
            return web.Response(status=500, body=json.dumps(f"bad password {password!r}").encode())
        if where == "header in a redirect":
            return web.Response(status=302, headers={"Location": f"/login?h={header}"})
        if where == "header in a 200 that is not JSON":
            return web.Response(status=200, text=f"{'x' * 100}{header} <html>")
        if where == "header cut by the excerpt":
            return web.Response(status=200, text=f"{'x' * 110}{header}")
        if where == "header in GraphQL errors" and graphql:
            error = {"message": f"denied for {header}", "extensions": {"code": header}}
            return web.json_response({"errors": [error], "data": None})
        if where == "header in a GraphQL timestamp" and graphql:
            shown = f"{'x' * 20}{header}"  # the client clips it in its error: inside the token
            record = {"sender": ALICE, "timestamp": shown, "stanza_id": "1", "stanza": "<m/>"}
            payload = {"stanzas": [record], "limit": 50}
            return web.json_response({"data": {"stanza": {"getLastMessages": payload}}})
        if where == "users as character codes":  # 6.5's 200 for an unknown domain
            return web.json_response([ord(ch) for ch in f"no {header}"])
        return web.json_response({"errors": [{"message": f"{header}"}]}, status=400)

    return handler


ECHOES = [
    "header in a JSON string",
    "token as text",
    "password JSON-escaped",
    "header in a redirect",
    "header in a 200 that is not JSON",
    "header cut by the excerpt",
    "header in GraphQL errors",
    "header in a GraphQL timestamp",
    "users as character codes",
]


@pytest.mark.parametrize("where", ECHOES)
@pytest.mark.parametrize("api", ["rest", "graphql"])
async def test_credentials_echoed_by_the_server_never_reach_an_error(where, api):
    errors: list[BaseException] = []
    async with tiny_app(echoing(where)) as url:
        async with AdminClient(url, auth=(USER, PASSWORD), api=api, retry=FAST) as client:
            calls = [
                client.messages.recent(ALICE),
                client.users.list("wonderland.lit"),
                client.messages.send(Message(ALICE, RABBIT, "x")),
            ]
            for call in calls:
                try:
                    await asyncio.wait_for(call, 10)
                except MongooseIMError as exc:
                    errors.append(exc)
    assert len(errors) >= 2, errors  # a REST send takes any 2xx: only the reads must fail
    for exc in errors:
        for text in exception_texts(exc):
            assert leaks(text) == [], (where, type(exc).__name__, text[:300])
            assert TOKEN[:12] not in text, (where, text[:300])  # not even part of it
