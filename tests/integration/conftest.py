"""Fixtures shared by the integration tests (real HTTP against the fake server)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["rest", "graphql"])
def api(request: pytest.FixtureRequest) -> str:
    """The backend a parametrised test runs on: every such test runs on both."""
    return str(request.param)
