"""Settings for the whole test suite."""

from __future__ import annotations

from hypothesis import settings

# No per-example deadline: on a shared CI machine a slow example is load, not a bug.
# Every test is still bounded by pytest-timeout (setup.cfg).
settings.register_profile("aiomongoose", deadline=None)
settings.load_profile("aiomongoose")
