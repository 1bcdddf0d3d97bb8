"""Fixtures of the FakeMongooseIM conformance tests: plain aiohttp over real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from fake_wire import ALICE, BOB, CAROL, Wire

from aiomongoose.testing import FakeMongooseIM


@pytest.fixture
async def server() -> AsyncIterator[FakeMongooseIM]:
    """A default server (6.5, cap 50) with alice, bob and carol of wonderland.lit."""
    async with FakeMongooseIM() as fake:
        for jid in (ALICE, BOB, CAROL):
            fake.add_user(jid)
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    # A fresh connection per request, so that no test depends on keep-alive state.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
        yield s


@pytest.fixture
def wire(session: aiohttp.ClientSession, server: FakeMongooseIM) -> Wire:
    return Wire(session, server)
