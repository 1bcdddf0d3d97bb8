"""``aiomongoose listen``: JSON lines until SIGTERM, exit 0 (a real process)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import pytest

from aiomongoose.testing import FakeMongooseIM

BOT = "bot@wonderland.lit"
ALICE = "alice@wonderland.lit"
T0 = 1_700_000_000_000_000


async def read_line(stream: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(stream.readline(), 20)


@pytest.mark.parametrize("api", ["rest", "graphql"])
async def test_listen_prints_json_lines_until_sigterm(api):
    async with FakeMongooseIM() as server:
        server.add_user(BOT)
        server.add_user(ALICE)
        server.drop_stream_after(1)  # GraphQL: the first stream breaks off after one event
        env = {**os.environ, "MONGOOSEIM_URL": server.url}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aiomongoose", "listen", BOT, "--api", api,
            "--poll-interval", "0.05",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        )  # fmt: skip
        try:
            # wait until it is listening: its first request reached the server
            for _ in range(1000):
                if server.requests:
                    break
                await asyncio.sleep(0.02)
            if api == "graphql":
                await server.wait_for_sse_sessions(1, BOT)
            server.clock_us = T0
            stored = server.route_message(f"{ALICE}/phone", BOT, body="hello", message_id="m1")
            assert stored is not None and proc.stdout is not None and proc.stderr is not None
            line = json.loads(await read_line(proc.stdout))
            assert line == {
                "sender": f"{ALICE}/phone",
                "to": BOT,
                "type": "chat",
                "message_id": "m1",
                "body": "hello",
                "received_at": "2023-11-14T22:13:20.000000Z",
                "archive_id": stored.stanza_id if api == "graphql" else None,
            }
            if api == "graphql":  # the cut stream is announced, and replaced
                notice = (await read_line(proc.stderr)).decode()
                assert notice.startswith("aiomongoose: reconnecting (1): ")
                await server.wait_for_sse_sessions(1, BOT)
                server.route_message(ALICE, BOT, body="again")
                assert json.loads(await read_line(proc.stdout))["body"] == "again"
        finally:
            proc.send_signal(signal.SIGTERM)
            status = await asyncio.wait_for(proc.wait(), 20)
    assert status == 0
