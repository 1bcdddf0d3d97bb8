"""The ``mongooseim`` pytest fixture: a started :class:`~aiomongoose.testing.FakeMongooseIM`.

Registered through the ``pytest11`` entry point ``aiomongoose``. The fixture is async and
needs pytest-asyncio (auto or strict mode); without it, using the fixture fails with a clear
message while the rest of pytest runs normally. Nothing heavy is imported until a test asks
for the fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .fake_server import FakeMongooseIM

__all__ = ["mongooseim"]


def _make_fixture() -> Any:
    try:
        import pytest_asyncio
    except ImportError:

        @pytest.fixture(name="mongooseim")
        def missing() -> None:
            """Unavailable: install pytest-asyncio to use this fixture."""
            raise pytest.UsageError(
                "the 'mongooseim' fixture is async and needs pytest-asyncio: "
                "pip install pytest-asyncio"
            )

        return missing

    @pytest_asyncio.fixture(name="mongooseim")
    async def fixture() -> AsyncIterator[FakeMongooseIM]:
        """A started FakeMongooseIM with default settings (6.5, cap 50, no auth), closed after."""
        from .fake_server import FakeMongooseIM

        async with FakeMongooseIM() as server:
            yield server

    return fixture


mongooseim = _make_fixture()
