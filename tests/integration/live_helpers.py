"""Bounded reads of a subscription, shared by the subscribe() tests."""

from __future__ import annotations

import asyncio
from typing import Any

from aiomongoose import IncomingMessage


async def next_of(incoming: Any, seconds: float = 5.0) -> IncomingMessage:
    """The next message, or a timeout: no test waits forever."""
    message: IncomingMessage = await asyncio.wait_for(anext(incoming), seconds)
    return message


async def take(incoming: Any, n: int) -> list[IncomingMessage]:
    return [await next_of(incoming) for _ in range(n)]
