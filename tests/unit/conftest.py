"""Fixtures shared by the unit tests that mock the network with aioresponses."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import pytest
from aioresponses import aioresponses


class _CompatResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds ClientResponse without ``stream_writer``, which aiohttp 3.14
    requires (TypeError otherwise); supply a stand-in so that mocked answers can be built."""

    def __init__(self, method, url, **kwargs):
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


class _Mock(aioresponses):
    def add(self, url, method="GET", *args, **kwargs):
        kwargs.setdefault("response_class", _CompatResponse)
        return super().add(url, method, *args, **kwargs)


@pytest.fixture
def mocked():
    """aioresponses, patched for aiohttp 3.14: no request leaves the process."""
    with _Mock() as m:
        yield m
