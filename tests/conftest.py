"""Settings for the whole test suite."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from hypothesis import settings

# No per-example deadline: on a shared CI machine a slow example is load, not a bug.
# Every test is still bounded by pytest-timeout (setup.cfg).
settings.register_profile("aiomongoose", deadline=None)
settings.load_profile("aiomongoose")


@asynccontextmanager
async def _unclosed_reports() -> AsyncIterator[list[str]]:
    """What aiohttp reports about a session or connector garbage-collected unclosed, from
    entry until a few loop turns and a ``gc.collect()`` on leaving: its ResourceWarning
    (``"ResourceWarning: Unclosed ..."``) and its call to the loop's exception handler
    (``"handler: Unclosed ..."``); sorted."""
    loop = asyncio.get_running_loop()
    reports: list[str] = []

    def on_warning(message, category, *_args, **_kwargs) -> None:
        # The text only: keeping the warning (its source) would resurrect the session.
        reports.append(f"{category.__name__}: {str(message).split(' <', 1)[0]}")

    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reports.append(f"handler: {context['message']}"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ResourceWarning)  # other warnings stay errors
            warnings.showwarning = on_warning
            try:
                yield reports
            finally:
                for _ in range(3):  # let queued callbacks drop what they hold
                    await asyncio.sleep(0)
                gc.collect()
    finally:
        loop.set_exception_handler(previous)
    reports.sort()


@pytest.fixture
def unclosed_reports() -> Callable[[], AbstractAsyncContextManager[list[str]]]:
    """``async with unclosed_reports() as reports:``: see the function of that name."""
    return _unclosed_reports
