"""Benchmarks for aiomongoose: ``python -m benchmarks`` (see ``benchmarks/README.md``).

Not part of the installed package and outside the test paths; run on demand.
"""
